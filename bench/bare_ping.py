"""The baseline for `bench/ack.py`: a bare Bolt app whose `/ping` only acks, as a WSGI app.

    gunicorn bench.bare_ping:wsgi --config bench/bare_ping.py ...

It checks the same signing secret Hourglass does (SLACK_SIGNING_SECRET) and nothing else:
no database, and one Slack call per worker (Bolt's auth.test, to SLACK_API_URL). `--config` names this module so gunicorn does not read the
repository's gunicorn.conf.py, whose start-up checks are Hourglass's.
"""

from __future__ import annotations

import os
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

bolt = App(
    signing_secret=os.environ.get("SLACK_SIGNING_SECRET", "unset"),
    # Bolt asks auth.test once, on the first request: the same local stand-in as Hourglass's.
    client=WebClient(
        token="xoxb-test", base_url=os.environ.get("SLACK_API_URL", "http://127.0.0.1:9/")
    ),
)


@bolt.command("/ping")
def ping(ack: Ack, **_: Any) -> None:
    ack()


wsgi = SlackRequestHandler(bolt)
