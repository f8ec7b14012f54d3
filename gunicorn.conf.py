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


# SIGTERM (a deploy, a scale-down; the master passes it on to each worker): a worker stops
# accepting, finishes the requests it is serving and the work they handed on after their
# acks (handlers/later.py: a Slack lookup and the answer through response_url, bounded by
# the Slack client's 30 s timeout), then exits. One still busy after `graceful_timeout` is
# killed. Slack gives up on an ack after 3 s, so `timeout` (a worker silent that long is
# restarted) only catches a stuck worker. docs/operations.md, "Process settings".
graceful_timeout = 40
timeout = 30
