"""Files a command sends back (charts, PDF statements): where they go and the upload itself.

A file is shared with everyone in the channel it is uploaded to, unlike an ephemeral reply.
So the rule the replies keep by being ephemeral is kept here by choosing the channel: a file
goes to the channel it was asked in, unless that is a customer's support channel (shared
with the customer: nothing internal is posted there) or there is no channel (App Home); then,
and when Slack refuses the channel (the app is not in it, a DM between people), it goes to
the asker's direct message with the app. Uploads run after the ack, outside any transaction
(`Reply.after_commit`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from store.repositories.core import Customers

log = logging.getLogger("hourglass." + __name__)


@dataclass(frozen=True)
class Outgoing:
    """One file to upload: its bytes, and how Slack shows it."""

    content: bytes
    filename: str
    title: str
    comment: str
    what: str  # for the reply: "The chart", "The PDF statement"


@dataclass(frozen=True)
class Destination:
    channel: str | None  # None: the asker's DM
    why_dm: str = ""  # said when a file asked for in a channel goes to the DM instead


def destination(db: Session, channel_id: str) -> Destination:
    """Where a file asked for in `channel_id` (empty: App Home) may be shared."""
    if not channel_id:
        return Destination(None)
    if Customers.by_channel(db, channel_id) is not None:
        return Destination(None, " (this channel is shared with the customer)")
    return Destination(channel_id)


def sender(
    client: WebClient, user_id: str, where: Destination, make: Callable[[], Outgoing]
) -> Callable[[], str]:
    """The after-commit step that makes the file (drawing is slow: after the ack too) and
    uploads it; it returns the line telling the asker where it went."""

    def send() -> str:
        outgoing = make()
        channel, why = where.channel, where.why_dm
        if channel is not None:
            try:
                _upload(client, channel, outgoing)
                return f"_{outgoing.what} is posted in <#{channel}> as `{outgoing.filename}`._"
            except SlackApiError as exc:
                log.info("upload to %s refused (%s); sending it by DM", channel, _error(exc))
                why = f" (<#{channel}> would not take it: {_error(exc)})"
        try:
            dm = client.conversations_open(users=user_id)["channel"]["id"]
            _upload(client, dm, outgoing)
        except SlackApiError as exc:
            log.warning("upload failed: %s", _error(exc))
            return f"_{outgoing.what} could not be uploaded ({_error(exc)})._"
        return (
            f"_{outgoing.what} is sent to you as `{outgoing.filename}` in a direct message{why}._"
        )

    return send


def _upload(client: WebClient, channel: str, outgoing: Outgoing) -> None:
    client.files_upload_v2(
        channel=channel,
        content=outgoing.content,
        filename=outgoing.filename,
        title=outgoing.title,
        initial_comment=outgoing.comment,
    )


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "error"))
