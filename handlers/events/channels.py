"""Slack events that cost Hourglass a channel: archived, or the app removed from it.

Recorded for managers (bot.alerts.health): `/hourglass alerts failed` lists it and App Home
counts it; an internal alert says so in the team's alert channel. A retried event carries
the same event id, so it is recorded once.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext

from bot.alerts import health
from handlers.context import hourglass_of

log = logging.getLogger("hourglass." + __name__)


def _record(body: dict[str, Any], context: BoltContext, channel: str, reason: str) -> None:
    if not channel:
        return
    hg = hourglass_of(context)
    event_id = str(body.get("event_id") or (body.get("event") or {}).get("event_ts") or "")
    with hg.database.session() as db:
        news = health.record_channel_lost(
            db, hg.policy, channel=channel, reason=reason, event_id=event_id, now=hg.clock.now()
        )
    if news:
        log.warning("channel %s lost: %s", channel, reason)


def on_archive(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    """channel_archive (public) and group_archive (private)."""
    _record(body, context, str(event.get("channel") or ""), "archived")


def on_member_left(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    """member_left_channel: only when the member who left is Hourglass itself."""
    if event.get("user") and event.get("user") == context.bot_user_id:
        _record(body, context, str(event.get("channel") or ""), "removed")


def on_left(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    """channel_left and group_left: Slack telling the app it was removed."""
    _record(body, context, str(event.get("channel") or ""), "removed")
