"""Channel health: where Hourglass cannot post, and alerts that were never delivered.

Slack says when a channel is archived or the app is taken out of it; an alert Slack refused
for good (`not_in_channel`, `is_archived`, …) stops being retried; an alert Slack keeps
failing (down, 5xx, timeouts) is retried for as long as it takes, and once it has been
failing for FAILING_SHOWN_AFTER it is shown too. All are kept here for managers to see
(`/hourglass alerts failed`, the count on App Home), never only in the server log. A lost channel is also posted, as an internal
alert, in the provider's alert channel: never in a customer's channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.alerts.outbox import raise_alert
from bot.policy.model import Policy
from bot.units import plural
from store.models import Alert
from store.repositories.core import Alerts, Customers

CHANNEL_LOST = "channel_lost"
FAILING_SHOWN_AFTER = timedelta(minutes=30)
LOST_BECAUSE = {
    "archived": "it was archived",
    "removed": "Hourglass was removed from it",
}


@dataclass(frozen=True)
class Trouble:
    """One thing a manager should look at: a lost channel or an undelivered alert."""

    alert_id: int
    what: str  # a line in plain words
    at: datetime


def record_channel_lost(
    db: Session, policy: Policy, *, channel: str, reason: str, event_id: str, now: datetime
) -> bool:
    """Note that Hourglass can no longer post in `channel`, if it is a customer's channel or
    the alert channel. True if this is news (a retried event is recognised by its id)."""
    customer = Customers.by_channel(db, channel)
    is_alert_channel = channel == policy.alert_channel
    if customer is None and not is_alert_channel:
        return False
    whose = f"*{customer.name}*'s alert channel" if customer else "the team's alert channel"
    fix = (
        "Unarchive it, or move their alerts to a live channel."
        if reason == "archived"
        else "Invite the app back with `/invite @Hourglass` in that channel."
    )
    text = (
        f":warning: Hourglass can no longer post in <#{channel}> ({whose}): "
        f"{LOST_BECAUSE[reason]}. Alerts for it will fail until this is fixed. {fix}"
    )
    # The notice is internal: routed to the team (bot.policy.routes), never to the customer's
    # channel, which is the lost one. If the lost one is the team's own channel, the notice
    # fails there too and is listed by `/hourglass alerts failed` all the same.
    return raise_alert(
        db,
        policy,
        key=f"{CHANNEL_LOST}:{channel}:{event_id}",
        kind=CHANNEL_LOST,
        customer=customer,
        text=text,
        now=now,
        data={"channel": channel, "reason": reason},
    )


def troubles(db: Session, now: datetime) -> list[Trouble]:
    """Lost channels first, then alerts that will not be delivered, then alerts still being
    retried that have been failing for FAILING_SHOWN_AFTER, oldest first."""
    lost = Alerts.of_kind(db, CHANNEL_LOST)
    found = [Trouble(alert.id, _lost_line(db, alert), alert.created_at) for alert in lost]
    found.extend(
        Trouble(alert.id, _failed_line(db, alert), alert.updated_at)
        for alert in Alerts.given_up(db)
        if alert.kind != CHANNEL_LOST
    )
    found.extend(
        Trouble(alert.id, _failing_line(db, alert), alert.failing_since or alert.updated_at)
        for alert in Alerts.failing_since(db, now - FAILING_SHOWN_AFTER)
    )
    return found


def _customer_name(db: Session, alert: Alert) -> str | None:
    customer = Customers.find(db, alert.customer_id) if alert.customer_id else None
    return customer.name if customer is not None else None


def _lost_line(db: Session, alert: Alert) -> str:
    data = alert.data or {}
    channel, reason = data.get("channel", "?"), data.get("reason", "")
    name = _customer_name(db, alert)
    whose = f" ({name})" if name else ""
    return f"Channel <#{channel}>{whose}: {LOST_BECAUSE.get(reason, reason)}"


def _failed_line(db: Session, alert: Alert) -> str:
    name = _customer_name(db, alert)
    whose = f" for {name}" if name else ""
    where = f" in <#{alert.channel}>" if alert.channel else ""
    # Parked untried when Slack refused the bot token for another alert (bot.alerts.pacing).
    tried = f"after {plural(alert.attempts, 'attempt')}" if alert.attempts else "not tried"
    return (
        f"Alert #{alert.id} ({alert.kind}){whose}{where} not delivered: "
        f"`{alert.last_error}` {tried}. {_summary(alert)}"
    )


def _failing_line(db: Session, alert: Alert) -> str:
    name = _customer_name(db, alert)
    whose = f" for {name}" if name else ""
    where = f" in <#{alert.channel}>" if alert.channel else ""
    since = f"{alert.failing_since:%Y-%m-%d %H:%M} UTC" if alert.failing_since else "?"
    return (
        f"Alert #{alert.id} ({alert.kind}){whose}{where} still failing since {since}: "
        f"`{alert.last_error}` after {plural(alert.attempts, 'attempt')}; retried until Slack takes "
        f"it. {_summary(alert)}"
    )


def _summary(alert: Alert) -> str:
    summary = " ".join(alert.text.split())
    return summary if len(summary) <= 120 else summary[:119] + "…"
