"""Slack events that move SLA tickets: channel messages, thread replies and the ✅ reaction.

Slack retries an event it thinks we missed (same `event_id`, an `X-Slack-Retry-Num`
header); the event id is stored with a unique constraint, so a retry is recognised and
never counted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.roles import role_of
from bot.sla import channel as sla_channel
from handlers.context import Hourglass, hourglass_of
from handlers.identity import Unresolved, group_members, refresh_groups_if_stale

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

    def record(strict: bool) -> None:
        members = group_members(hg, strict=strict)
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

    _with_groups(hg, client, body, context, record)


def _with_groups(
    hg: Hourglass,
    client: WebClient,
    body: dict[str, Any],
    context: BoltContext,
    record: Callable[[bool], None],
) -> None:
    """Record the event from the cached user groups, answering Slack when done (a failure
    answers 500, so Slack retries). Only if a group was never looked up is the event
    acknowledged first and recorded after the lookup. Stale groups are refreshed after."""
    try:
        record(True)
    except Unresolved:

        def later() -> None:
            refresh_groups_if_stale(hg, client)
            record(False)

        hg.later.run(later, body, context)
        return
    hg.later.run(lambda: refresh_groups_if_stale(hg, client), body, context)


def on_reaction(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    item = event.get("item") or {}
    if item.get("type") != "message" or not event.get("user"):
        return
    hg = hourglass_of(context)

    def record(strict: bool) -> None:
        members = group_members(hg, strict=strict)
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

    _with_groups(hg, client, body, context, record)
