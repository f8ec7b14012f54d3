"""Slack events that move SLA tickets: channel messages, thread replies and the ✅ reaction.

Slack retries an event it thinks we missed (same `event_id`, an `X-Slack-Retry-Num`
header); the event id is stored with a unique constraint, so a retry is recognised and
never counted twice.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.roles import role_of
from bot.sla import channel as sla_channel
from handlers.common import group_members
from handlers.context import hourglass_of

log = logging.getLogger("hourglass." + __name__)


def _event_id(body: dict[str, Any], event: dict[str, Any]) -> str:
    return str(
        body.get("event_id") or f"{event.get('channel')}:{event.get('ts') or event.get('event_ts')}"
    )


# Messages people write: a reply also sent to the channel, a message with a file attached.
# Every other subtype (edits, deletions, joins, bot posts) is not a ticket or a response.
WRITTEN_SUBTYPES = {None, "thread_broadcast", "file_share"}


def on_message(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    if event.get("subtype") not in WRITTEN_SUBTYPES or event.get("bot_id"):
        return  # our own alerts are bot posts too
    if event.get("channel_type") == "im":
        return  # a DM to the app is never a customer's message (handlers/events/direct.py)
    if not event.get("user"):
        return
    channel, ts = event.get("channel"), event.get("ts")
    if not channel or not ts:
        return
    hg = hourglass_of(context)
    members = group_members(hg, client)
    with hg.database.session() as db:
        done = sla_channel.on_message(
            db,
            hg.policy,
            channel_id=channel,
            user=event["user"],
            ts=ts,
            thread_ts=event.get("thread_ts"),
            text=event.get("text") or "",
            event_id=_event_id(body, event),
            role_of=lambda user: role_of(db, hg.policy, user, members),
            now=sla_channel.slack_event_time(ts, hg.clock.now()),
        )
    if done:
        log.info("message %s in %s: ticket %s", ts, channel, done)


def on_reaction(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    item = event.get("item") or {}
    if item.get("type") != "message" or not event.get("user"):
        return
    hg = hourglass_of(context)
    members = group_members(hg, client)
    with hg.database.session() as db:
        sla_channel.on_reaction(
            db,
            hg.policy,
            channel_id=item.get("channel", ""),
            item_ts=item.get("ts", ""),
            user=event["user"],
            reaction=event.get("reaction", ""),
            event_id=_event_id(body, event),
            role_of=lambda user: role_of(db, hg.policy, user, members),
            now=sla_channel.slack_event_time(event.get("event_ts"), hg.clock.now()),
        )
