"""The alert outbox: every alert Hourglass sends goes through here.

An alert is a row with a unique key, written in the same transaction as the change that
causes it, so it is never lost and never doubled. The clock delivers due rows
(`bot.alerts.delivery`): the first delivery posts the message, later state changes edit it
in place.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.alerts import nowhere
from bot.policy.model import Policy
from bot.policy.routes import CUSTOMER, TEAM
from store.models import Alert, Customer
from store.repositories.core import Alerts, insert_all_if_absent

log = logging.getLogger("hourglass." + __name__)

Blocks = list[dict[str, Any]]
DIRECT = "direct"
CUSTOMER_COPY = ":customer"
NOWHERE = (
    "no channel to post to: set the customer's team channel (/hourglass customer add … "
    "team=<#channel>) or the provider's alert_channel"
)


@dataclass(frozen=True)
class Destination:
    """One copy of an alert: who its words are for, where it is posted ('' for nowhere),
    the key it is recorded under, and the thread it replies in (if any)."""

    audience: str  # team, customer, or direct (a DM to one person)
    channel: str
    key: str
    thread_ts: str | None = None


def team_channel(policy: Policy, customer: Customer | None) -> str:
    """The team's internal channel for the customer, else the provider's ('' if none)."""
    if customer is not None and customer.team_channel:
        return customer.team_channel
    return policy.alert_channel or ""


def customer_key(key: str) -> str:
    """The key of the customer's copy of an alert that goes to both audiences."""
    return f"{key}{CUSTOMER_COPY}"


def destinations(
    policy: Policy,
    kind: str,
    key: str,
    customer: Customer | None,
    *,
    to: str | None = None,
    thread_ts: str | None = None,
) -> list[Destination]:
    """Where an alert goes: the one routing function every alert passes through (SPEC §5).

    `to` is a direct message to one person. Otherwise the policy routes `kind` to the team,
    the customer or both (`bot.policy.routes`): the team's copy goes to the customer's team
    channel (else the provider's alert_channel) and is never moved to the customer's support
    channel; the customer's copy goes to the support channel (in a thread if `thread_ts`),
    else to the team's channel, whose readers may see anything. With nowhere to post, one
    copy is still recorded with no channel, as before: it is kept, never silently dropped.
    A team channel that is the customer's own channel counts as none.
    """
    if to is not None:
        return [Destination(DIRECT, to, key)]
    route = policy.alerts.route(kind)
    support = customer.channel_id if customer is not None else None
    team = team_channel(policy, customer)
    if team == support:  # e.g. an alert_channel set to a customer's channel: never post there
        team = ""
    if route == TEAM or not support:
        return [Destination(TEAM, team, key)]
    shown = Destination(CUSTOMER, support, key, thread_ts)
    if route == CUSTOMER or not team or team == support:
        return [shown]
    return [Destination(TEAM, team, key), replace(shown, key=customer_key(key))]


@dataclass(frozen=True)
class NewAlert:
    """One alert for `raise_alerts`: `raise_alert`'s arguments but the session, policy and
    instant."""

    key: str
    kind: str
    customer: Customer | None
    text: str
    blocks: Blocks | None = None
    state: str = "raised"
    data: dict[str, Any] | None = None
    to: str | None = None
    thread_ts: str | None = None


def raise_alert(
    db: Session,
    policy: Policy,
    *,
    key: str,
    kind: str,
    customer: Customer | None,
    text: str,
    now: datetime,
    blocks: Blocks | None = None,
    state: str = "raised",
    data: dict[str, Any] | None = None,
    to: str | None = None,
    thread_ts: str | None = None,
) -> bool:
    """Record an alert once per key, in the caller's transaction, for each destination
    `destinations` gives (a DM if `to` names a person). True if any copy is new. A new copy
    with nowhere to post is noted for the reply of the command that raised it
    (bot/alerts/nowhere.py)."""
    alert = NewAlert(key, kind, customer, text, blocks, state, data, to, thread_ts)
    return raise_alerts(db, policy, [alert], now)[0]


def raise_alerts(
    db: Session, policy: Policy, alerts: Sequence[NewAlert], now: datetime
) -> list[bool]:
    """`raise_alert` for each of a sweep's batch, in one INSERT for all their copies, not
    one a copy (issue 11); for each, True if any copy is new. Of two with the same key
    the first is recorded, as one by one."""
    copies = [
        (n, where)
        for n, alert in enumerate(alerts)
        for where in destinations(
            policy, alert.kind, alert.key, alert.customer, to=alert.to, thread_ts=alert.thread_ts
        )
    ]
    rows = [_row(where, alerts[n], now) for n, where in copies]
    added = insert_all_if_absent(db, Alert, rows, "key") if rows else set()
    new = [False] * len(alerts)
    for n, where in copies:
        if where.key not in added:
            continue
        added.discard(where.key)  # a later copy with the same key was not the one recorded
        new[n] = True
        if not where.channel:
            customer = alerts[n].customer
            nowhere.note(db, alerts[n].kind, customer.name if customer is not None else None)
    return new


def _row(where: Destination, alert: NewAlert, now: datetime) -> dict[str, Any]:
    channel = where.channel
    return {
        "key": where.key,
        "kind": alert.kind,
        "customer_id": alert.customer.id if alert.customer is not None else None,
        "channel": channel,
        "audience": where.audience,
        "thread_ts": where.thread_ts,
        "state": alert.state,
        "text": alert.text,
        "blocks": alert.blocks,
        "data": alert.data,
        "version": 1,
        "delivered_version": 0,
        "attempts": 0,
        "next_attempt_at": now if channel else None,
        "last_error": None if channel else NOWHERE,
        "created_at": now,
        "updated_at": now,
    }


def update_alert(
    db: Session,
    key: str,
    *,
    state: str,
    text: str,
    now: datetime,
    blocks: Blocks | None = None,
    data: dict[str, Any] | None = None,
    kind: str | None = None,
) -> bool:
    """Move an alert to a new state (and kind, e.g. sla_warning -> sla_breach); the clock
    edits the posted message in place. The customer's copy of an alert that went to both
    audiences moves with it (only customer-facing kinds have one, so the words fit both).

    Nothing happens if the alert is unknown or already in that state, so sweeps may call
    this as often as they like.
    """
    moved = False
    copies = (key, customer_key(key))
    found = Alerts.by_keys(db, copies)  # both copies in one read
    for copy_key in copies:
        alert = found.get(copy_key)
        if alert is None or alert.state == state:
            continue
        alert.state, alert.text, alert.blocks = state, text, blocks
        if kind is not None:
            alert.kind = kind
        if data is not None:
            alert.data = {**(alert.data or {}), **data}
        # Counted by the database, not from what this transaction read: two changes at once
        # on Postgres are two versions, so an edit in flight with the first is never taken
        # for the second's (the outbox compares versions when it records a delivery).
        alert.version = Alert.version + 1
        alert.attempts = 0
        alert.updated_at = now
        if alert.channel:
            alert.next_attempt_at = now
        moved = True
    db.flush()
    return moved
