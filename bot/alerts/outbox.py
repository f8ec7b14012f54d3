"""The alert outbox: every alert Hourglass sends goes through here.

An alert is a row with a unique key, written in the same transaction as the change that
causes it, so it is never lost and never doubled. The clock delivers due rows: the first
delivery posts the message, later state changes edit it in place. Slack is reached only
through a `Messenger`, so this module never imports Slack.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from store.db import Database
from store.models import Alert, Customer
from store.repositories.core import Alerts, insert_if_absent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)


class DeliveryError(Exception):
    """Slack refused or could not be reached; `permanent` errors are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Messenger(Protocol):
    def post(self, channel: str, text: str, blocks: list[dict] | None) -> tuple[str, str]:
        """Post a new message; returns (channel id, message ts)."""

    def update(self, channel: str, ts: str, text: str, blocks: list[dict] | None) -> None:
        """Edit a message already posted."""


def alert_channel(customer: Customer | None, fallback: str | None) -> str:
    """The customer's channel for alerts, else the provider's alert channel ('' if none)."""
    if customer is not None and customer.channel_id:
        return customer.channel_id
    return fallback or ""


def raise_alert(
    db: Session,
    *,
    key: str,
    kind: str,
    channel: str,
    text: str,
    now: datetime,
    blocks: list[dict[str, Any]] | None = None,
    customer_id: int | None = None,
    state: str = "raised",
    data: dict[str, Any] | None = None,
) -> bool:
    """Record an alert once per key, in the caller's transaction. True if it is new."""
    return insert_if_absent(
        db,
        Alert,
        {
            "key": key,
            "kind": kind,
            "customer_id": customer_id,
            "channel": channel,
            "state": state,
            "text": text,
            "blocks": blocks,
            "data": data,
            "version": 1,
            "delivered_version": 0,
            "attempts": 0,
            "next_attempt_at": now if channel else None,
            "last_error": None if channel else "no channel to post to",
            "created_at": now,
            "updated_at": now,
        },
        ["key"],
    )


def update_alert(
    db: Session,
    key: str,
    *,
    state: str,
    text: str,
    now: datetime,
    blocks: list[dict[str, Any]] | None = None,
    data: dict[str, Any] | None = None,
    kind: str | None = None,
) -> bool:
    """Move an alert to a new state (and kind, e.g. sla_warning -> sla_breach); the clock edits the posted message in place.

    Nothing happens if the alert is unknown or already in that state, so sweeps may call
    this as often as they like.
    """
    alert = Alerts.by_key(db, key)
    if alert is None or alert.state == state:
        return False
    alert.state, alert.text, alert.blocks = state, text, blocks
    if kind is not None:
        alert.kind = kind
    if data is not None:
        alert.data = {**(alert.data or {}), **data}
    alert.version += 1
    alert.attempts = 0
    alert.updated_at = now
    if alert.channel:
        alert.next_attempt_at = now
    db.flush()
    return True


@dataclass
class DeliveryReport:
    posted: int = 0
    updated: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_due(
    database: Database, messenger: Messenger, now: datetime, *, limit: int = 100
) -> DeliveryReport:
    """Deliver alerts whose time has come.

    The rows are leased in one short transaction, Slack is called outside any transaction
    (a rate-limit wait must not hold the database), and the result is written in another.
    A crash between the post and the write re-posts once the lease runs out: at least once,
    never silently dropped.
    """
    report = DeliveryReport()
    with database.session() as db:
        ids = Alerts.due_ids(db, now, limit)
        Alerts.lease(db, ids, now + LEASE)
    for alert_id in ids:
        with database.session() as db:
            alert = db.get(Alert, alert_id)
            if alert is None:
                continue
            version, channel, ts = alert.version, alert.posted_channel, alert.ts
            text, blocks, target = alert.text, alert.blocks, alert.channel
        try:
            if ts is None:
                channel, ts = messenger.post(target, text, blocks)
                outcome = "posted"
            else:
                messenger.update(channel, ts, text, blocks)
                outcome = "updated"
        except DeliveryError as exc:
            _record_failure(database, alert_id, exc, now)
            report.failed += 1
            report.errors.append(f"{alert_id}: {exc}")
            continue
        with database.session() as db:
            alert = db.get(Alert, alert_id)
            alert.posted_channel, alert.ts = channel, ts
            alert.delivered_version = max(alert.delivered_version, version)
            alert.attempts, alert.last_error = 0, None
            # A state change that arrived while we were posting is delivered next round.
            alert.next_attempt_at = None if alert.version == version else now
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _record_failure(database: Database, alert_id: int, error: DeliveryError, now: datetime):
    with database.session() as db:
        alert = db.get(Alert, alert_id)
        alert.attempts += 1
        alert.last_error = str(error)[:1000]
        if error.permanent or alert.attempts >= MAX_ATTEMPTS:
            alert.next_attempt_at = None
            log.error("alert %s not delivered, giving up: %s", alert.key, error)
        else:
            backoff = min(timedelta(seconds=30) * 2 ** (alert.attempts - 1), timedelta(hours=1))
            alert.next_attempt_at = now + backoff
            log.warning("alert %s not delivered, retry in %s: %s", alert.key, backoff, error)
