"""gunicorn's settings for `gunicorn app:wsgi`, read from the working directory (the
Procfile names it too).

Before the master listens, it checks what `hourglass run` checks: the settings, the policy,
the database and the bot token. A mistake stops gunicorn there, exit code 2 and the one
line the CLI prints for it, instead of workers that answer 500 to every request
(issue 18 item 5).
"""

import sys

import app


def on_starting(server: object) -> None:
    code = app.check_web()
    if code:
        sys.exit(code)
