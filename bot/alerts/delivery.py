"""Delivering the outbox: effectively once as seen in the channel.

The clock leases due alerts a batch at a time with a fencing token (`lease_token`, and
`leased_until` on the database's clock), calls Slack outside any transaction, and records
the outcome only if it still holds the lease; a holder that lost it discards its result
(logged) and the next holder reconciles. Every post carries message metadata naming the
alert's key, and `post_started_at` is set before the post is sent: when a post's outcome
is unknown (a timeout, a crash after sending, a lost lease) the next attempt looks for the
key in the channel's recent history and adopts the message it finds instead of posting
again. Retryable failures back off to FAILURE_CAP and never give up; permanent ones are
parked with their reason. Slack is reached only through a `Messenger`, so this module never
imports Slack.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from store.db import Database
from store.models import Alert
from store.repositories.core import Alerts, database_time

log = logging.getLogger("hourglass." + __name__)

Blocks = list[dict[str, Any]]
LEASE = timedelta(minutes=2)  # far longer than one post can take (one call, its timeout)
BATCH = 25  # alerts leased, and their outcomes recorded, per transaction
FIRST_BACKOFF = timedelta(seconds=30)
FAILURE_CAP = timedelta(minutes=15)  # retryable failures are retried at least this often
# History is searched from this long before the first unknown post: Slack's clock and the
# database's may differ a little.
HISTORY_MARGIN = timedelta(minutes=5)


class DeliveryError(Exception):
    """Slack refused or could not be reached.

    `permanent`: retrying will not fix it. `unknown`: the call may have taken effect all the
    same (a timeout or a server error after the request was sent)."""

    def __init__(self, message: str, *, permanent: bool = False, unknown: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.unknown = unknown


class Messenger(Protocol):
    def post(
        self,
        channel: str,
        text: str,
        blocks: Blocks | None,
        thread_ts: str | None = None,
        key: str | None = None,
    ) -> tuple[str, str]:
        """Post a new message (a reply in `thread_ts`'s thread if given), with metadata
        naming the alert `key`; returns (channel id, message ts)."""

    def update(self, channel: str, ts: str, text: str, blocks: Blocks | None) -> None:
        """Edit a message already posted."""

    def find(
        self, channel: str, key: str, oldest: datetime, thread_ts: str | None = None
    ) -> tuple[str, str] | None:
        """The (channel id, ts) of a message posted since `oldest` whose metadata names
        `key` (in `thread_ts`'s thread if given), else None."""


@dataclass
class DeliveryReport:
    posted: int = 0
    updated: int = 0
    failed: int = 0
    adopted: int = 0  # posts found in the channel after an unknown outcome, not posted again
    discarded: int = 0  # results of a lost lease, left to the next holder
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Lease:
    """What one delivery needs, read in the leasing transaction and used outside any."""

    id: int
    token: str
    key: str
    version: int
    target: str
    text: str
    blocks: Blocks | None
    thread_ts: str | None
    posted: tuple[str, str] | None  # (channel, ts) once the first delivery is done
    unknown_since: datetime | None  # a post whose outcome is unknown was sent since then
    marked_started: bool  # this lease set post_started_at


@dataclass
class _Outcome:
    action: str  # posted, updated, adopted, or failed
    posted: tuple[str, str] | None = None  # the message, if one is known to exist
    error: DeliveryError | None = None
    # After a failure: nothing this alert's attempts sent can be in the channel.
    settled: bool = False


def deliver_due(
    database: Database,
    messenger: Messenger,
    now: datetime,
    *,
    limit: int = 100,
    lease: timedelta = LEASE,
    batch: int = BATCH,
) -> DeliveryReport:
    """Deliver up to `limit` alerts whose time has come, `batch` leases at a time.

    A batch is leased in one transaction and its outcomes recorded in one more: two
    transactions per batch, not two per alert. Each alert keeps its own fencing: the batch's
    token, checked per row when recording. A post is only started in the first half of the
    lease, so each still has at least half of it (a minute) to finish, far longer than one
    call takes; the alerts the batch had no time for are released and leased again.
    """
    report = DeliveryReport()
    failures: list[Exception] = []
    left = limit
    while left > 0:
        started = time.monotonic()
        held = _lease_batch(database, now, lease, min(batch, left))
        if not held:
            break
        left -= len(held)
        outcomes: list[tuple[_Lease, _Outcome]] = []
        for each in held:
            if outcomes and time.monotonic() - started >= lease.total_seconds() / 2:
                break  # too little of the lease left to start another post
            outcomes.append((each, _attempt(messenger, each)))
        untried = held[len(outcomes) :]
        failures += _record_all(database, outcomes, untried, now, report)
        if untried:
            left += len(untried)
    if failures:
        raise RuntimeError(f"recording a delivery failed: {failures[0]}") from failures[0]
    return report


def _count(report: DeliveryReport, held: _Lease, outcome: _Outcome, kept: bool) -> None:
    if not kept:
        report.discarded += 1
    elif outcome.error is not None:
        report.failed += 1
        report.errors.append(f"{held.id}: {outcome.error}")
    else:
        setattr(report, outcome.action, getattr(report, outcome.action) + 1)


def _record_all(
    database: Database,
    outcomes: list[tuple[_Lease, _Outcome]],
    untried: list[_Lease],
    now: datetime,
    report: DeliveryReport,
) -> list[Exception]:
    """Record a batch's outcomes in one transaction. Should it fail, each alert's is
    recorded in a transaction of its own, so one bad row cannot hold back the others: its
    failure is logged and returned, and the alert, still leased, is retried when its lease
    runs out."""
    try:
        with database.session() as db:
            kept = _record(db, outcomes, untried, now)
    except Exception:  # noqa: BLE001 - retried one alert at a time just below
        log.exception("recording %s deliveries at once failed; one at a time", len(outcomes))
    else:
        for (held, outcome), was_kept in zip(outcomes, kept, strict=True):
            _count(report, held, outcome, was_kept)
        return []
    failures: list[Exception] = []
    for held, outcome in outcomes:
        try:
            with database.session() as db:
                (was_kept,) = _record(db, [(held, outcome)], [], now)
        except Exception as exc:  # noqa: BLE001 - logged; the others are still recorded
            log.exception("alert %s: recording its delivery (%s) failed", held.key, outcome.action)
            failures.append(exc)
        else:
            _count(report, held, outcome, was_kept)
    try:
        with database.session() as db:
            _record(db, [], untried, now)
    except Exception as exc:  # noqa: BLE001 - their leases run out instead
        log.exception("releasing %s undelivered alerts failed", len(untried))
        failures.append(exc)
    return failures


def _lease_batch(database: Database, now: datetime, lease: timedelta, count: int) -> list[_Lease]:
    """Take up to `count` due alerts in one short transaction, under one fencing token; a
    post about to be sent is recorded as started before the transaction commits, so a
    crash leaves a trace."""
    with database.session() as db:
        wall = database_time(db)
        token = uuid.uuid4().hex
        held = []
        for alert in Alerts.next_due_batch(db, now, wall, count):
            alert.lease_token, alert.leased_until = token, wall + lease
            unknown_since = alert.post_started_at
            marked = alert.ts is None and alert.post_started_at is None
            if marked:
                alert.post_started_at = wall
            held.append(_snapshot(alert, unknown_since, marked))
        return held


def _snapshot(alert: Alert, unknown_since: datetime | None, marked: bool) -> _Lease:
    channel, ts = alert.posted_channel, alert.ts
    posted = (channel, ts) if channel is not None and ts is not None else None
    assert alert.lease_token is not None
    return _Lease(
        id=alert.id,
        token=alert.lease_token,
        key=alert.key,
        version=alert.version,
        target=alert.channel,
        text=alert.text,
        blocks=alert.blocks,
        thread_ts=alert.thread_ts,
        posted=posted,
        unknown_since=unknown_since if posted is None else None,
        marked_started=marked,
    )


def _attempt(messenger: Messenger, held: _Lease) -> _Outcome:
    """One delivery: edit the posted message; or adopt the one an earlier unknown post
    left in the channel; or post. Never inside a transaction."""
    found, stage, unread = held.posted, "find", False
    try:
        if found is None and held.unknown_since is not None:
            found, unread = _find(messenger, held)
        stage = "edit"
        if found is not None:
            messenger.update(*found, held.text, held.blocks)
            return _Outcome("updated" if held.posted else "adopted", found)
        stage = "post"
        posted = messenger.post(held.target, held.text, held.blocks, held.thread_ts, held.key)
        return _Outcome("posted", posted)
    except DeliveryError as error:
        # Settled: the post was refused outright after any earlier unknown post was looked
        # for and not found, so nothing of this alert's is in the channel. History that
        # could not be read proves nothing: the earlier post is looked for next time.
        settled = stage == "post" and not error.unknown and not unread
        return _Outcome("failed", found, error, settled=settled)
    except Exception as error:  # noqa: BLE001 - a messenger's own failure is an unknown outcome
        # Not Slack's refusal but the messenger's (an answer it could not read, its own
        # bug): the call may have been done, so it is recorded, retried and looked for
        # like a timeout, not left to stop the sweep with the lease held and no reason shown.
        log.exception("alert %s: the messenger failed while delivering (%s)", held.key, stage)
        unknown = DeliveryError(f"{stage}: {error!r}", unknown=True)
        return _Outcome("failed", found, unknown)


def _find(messenger: Messenger, held: _Lease) -> tuple[tuple[str, str] | None, bool]:
    """The message an earlier post whose outcome is unknown left in the channel, if any,
    and whether the history could not be read. History that can never be read (a permanent
    error) is not waited for: the post goes ahead, at least once rather than never."""
    assert held.unknown_since is not None
    try:
        found = messenger.find(
            held.target, held.key, held.unknown_since - HISTORY_MARGIN, held.thread_ts
        )
    except DeliveryError as error:
        if not error.permanent:
            raise
        log.warning("alert %s: cannot read the channel's history (%s); posting", held.key, error)
        return None, True
    if found is not None:
        log.info("alert %s was already in the channel (%s): adopted", held.key, found)
    return found, False


def _record(
    db: Session,
    outcomes: list[tuple[_Lease, _Outcome]],
    untried: list[_Lease],
    now: datetime,
) -> list[bool]:
    """Write each outcome whose alert `held` still holds the lease (False, logged, for
    those whose lease was lost), and release the alerts left untried: nothing was sent for
    them, so a post this lease marked as started is unmarked."""
    leases = [held for held, _ in outcomes] + untried
    if not leases:
        return []
    rows = Alerts.held_batch(db, [held.id for held in leases], leases[0].token)
    kept = []
    for held, outcome in outcomes:
        alert = rows.get(held.id)
        kept.append(alert is not None)
        if alert is None:
            log.warning(
                "alert %s: lease lost while delivering (%s, message %s); result discarded, "
                "the next holder reconciles",
                held.key,
                outcome.action,
                outcome.posted,
            )
            if outcome.posted is not None:
                Alerts.redeliver(db, held.id, now)  # our edit may land after the holder's
            continue
        alert.lease_token = alert.leased_until = None
        if outcome.posted is not None:
            alert.posted_channel, alert.ts = outcome.posted
            alert.post_started_at = None
        if outcome.error is None:
            _delivered(alert, held, now)
        else:
            _failed(alert, outcome, now)
    for held in untried:
        alert = rows.get(held.id)
        if alert is None:
            continue
        alert.lease_token = alert.leased_until = None
        if held.marked_started:
            alert.post_started_at = None
    return kept


def _delivered(alert: Alert, held: _Lease, now: datetime) -> None:
    alert.delivered_version = max(alert.delivered_version, held.version)
    alert.attempts, alert.last_error, alert.failing_since = 0, None, None
    # A state change that arrived while we were posting is delivered next round.
    alert.next_attempt_at = None if alert.version == held.version else now


def _failed(alert: Alert, outcome: _Outcome, now: datetime) -> None:
    error = outcome.error
    assert error is not None
    if outcome.settled:
        alert.post_started_at = None  # nothing of ours is in the channel: post afresh
    alert.attempts += 1
    alert.last_error = str(error)[:1000]
    alert.failing_since = alert.failing_since or now
    if error.permanent:
        alert.next_attempt_at = None
        log.error("alert %s not delivered, parked: %s", alert.key, error)
        return
    alert.next_attempt_at = now + backoff(alert.attempts)
    log.warning(
        "alert %s not delivered (attempt %s), retry at %s: %s",
        alert.key,
        alert.attempts,
        alert.next_attempt_at,
        error,
    )


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … doubling up to FAILURE_CAP, then every FAILURE_CAP for as long
    as it takes: a retryable failure never gives up."""
    if attempts > 10:
        return FAILURE_CAP
    return min(FIRST_BACKOFF * 2 ** (attempts - 1), FAILURE_CAP)
