"""Clean text at the edge: every string Slack sends us is passed through `bot.text.clean`
once, before any listener sees it.

One global Bolt middleware (`clean_request`, registered in handlers/__init__.py) rewrites the
parsed request body in place: a slash command's text, a view submission's state values and
private metadata, an action's value, a message or app_mention event's text, an options
request's query, and every other string in them (user and channel names included). Request
signatures are checked by Bolt before this runs, on the raw bytes as Slack signed them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.request import BoltRequest

from bot.text import clean


def cleaned(value: Any) -> Any:
    """`value` (parsed JSON or form fields) with every string, keys included, cleaned."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(key)): cleaned(item) for key, item in value.items()}
    if isinstance(value, list):
        return [cleaned(item) for item in value]
    return value


def clean_request(req: BoltRequest, next: Callable[[], None]) -> None:  # noqa: A002
    """The Bolt middleware: the request's body, cleaned in place, then the listeners."""
    body = req.body
    if isinstance(body, dict):
        fresh = cleaned(body)
        body.clear()
        body.update(fresh)
    next()
