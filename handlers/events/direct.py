"""A direct message to the app: it answers with the help (issue 17 item 5).

The manifest keeps the Messages tab open, so people write to Hourglass; it works by slash
commands, and a message left unanswered looks broken. Only what a person writes is answered:
never the app's own posts, another bot's, or a message subtype (an edit, a deletion, a join),
so the answer can never answer itself. A DM is never a customer's message: the SLA listener
does not see it (it is registered after this one and checks `channel_type` too).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.commands.hourglass import HELP

log = logging.getLogger("hourglass." + __name__)

DM_HELP = (
    "I work by slash commands, not messages: type them here or in any channel. "
    "Type `/hourglass help` for this list any time.\n" + HELP
)


def is_direct_message(event: dict[str, Any]) -> bool:
    """Bolt matcher: a `message` event in a DM with the app (`message.im`)."""
    return event.get("channel_type") == "im"


def written_by_a_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A plain message a person wrote: no subtype (edits, deletions, bot_message…), no bot,
    not the app itself."""
    if event.get("subtype") is not None or event.get("bot_id") or event.get("bot_profile"):
        return False
    user = event.get("user")
    return bool(user) and user != bot_user_id


def on_direct_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    channel = event.get("channel")
    if not channel or not written_by_a_person(event, context.bot_user_id):
        return
    try:
        client.chat_postMessage(
            channel=channel, text=DM_HELP, thread_ts=event.get("thread_ts"), mrkdwn=True
        )
    except SlackApiError as exc:
        log.warning("could not answer a DM in %s: %s", channel, exc.response.get("error"))
