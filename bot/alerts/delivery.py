"""Delivering the outbox: effectively once as seen in the channel.

The clock leases due alerts a batch at a time with a fencing token (`lease_token`, and
`leased_until` on the database's clock), calls Slack outside any transaction, and records
the outcome only if it still holds the lease; a holder that lost it discards its result
(logged) and the next holder reconciles. Every post carries message metadata naming the
alert's key, and `post_started_at` is set before the post is sent: when a post's outcome
is unknown (a timeout, a crash after sending, a lost lease) the next attempt looks for the
key in the channel's recent history and adopts the message it finds instead of posting
again. Retryable failures back off to FAILURE_CAP and never give up; permanent ones are
parked with their reason. Slack's limits (one post a second per channel, a 429's
Retry-After, a refused token) are kept in the database by `bot.alerts.pacing`, which the
lease consults, so every clock honours them. Slack is reached only through a `Messenger`, so
this module never imports Slack.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Collection
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.alerts import pacing
from bot.alerts.pacing import Pace
from store.db import Database
from store.models import Alert
from store.repositories.core import Alerts, database_time

log = logging.getLogger("hourglass." + __name__)

Blocks = list[dict[str, Any]]
LEASE = timedelta(minutes=2)  # far longer than one post can take (one call, its timeout)
# The outbox's own Web API calls give up after CALL_TIMEOUT (handlers/messenger.py), not the
# client's 30 s: Slack answers chat.postMessage in well under a second, and a hung call
# holds its alert (and, before batches were delivered at once, every alert behind it) that
# long. The chaos run's 10 s let 16 hangs hold the leader for most of its 180 s of faults;
# at 3 s each hang still held its channel's slot 3 s and a dead leader's posts 2 s more
# (TAKEOVER_GRACE, which follows from it). A post timed out is an unknown outcome, looked
# for by its metadata before posting again.
CALL_TIMEOUT = timedelta(seconds=2)
# When a clock takes the lead (app.py), the rows the former leader held need not wait out
# LEASE: its database session has ended, so the process is dead or cut off from the
# database. A call it sent may still be in flight only if it is alive and cut off: a post is
# sent once, an edit at most three times (the SDK retries a connection error twice, after
# back-off sleeps of 0.5 s and 1 s plus up to 1 s of jitter each), so one call lasts at most
# 3 x CALL_TIMEOUT + 3.5 s = 9.5 s; the server ends a vanished peer's session after about
# 11 s (store/leader.py), so none is left by then. Its leases are cut to a second, for the
# database's and the hosts' clocks.
# Whatever they held is then reconciled as any lost lease is (looked for by its metadata
# before posting again).
LONGEST_CALL = 3 * CALL_TIMEOUT + timedelta(seconds=3.5)
TAKEOVER_GRACE = timedelta(seconds=1)
# Alerts leased, and their outcomes recorded, per transaction (at most one post per channel:
# Slack's one a second, bot.alerts.pacing).
BATCH = 25
# The SLA's clocks go first, in this order: when Slack's one post a second per channel
# queues a burst, a breach is not kept waiting behind escalations, warnings, or block and
# booking news raised before it (the chaos run's breaches queued behind escalations of
# older tickets); then its escalations, then warnings. Within each kind, the oldest first.
URGENT = ("sla_breach", "sla_escalation", "sla_warning")
# A transient failure (a 5xx, a timeout, a dropped connection) is retried soon, then less
# and less often: Slack's 5xx and timeouts are mostly single, and an alert that waited 30 s
# after one was 30 s late. Not sooner than 2 s: a timed-out post is looked for in the
# channel's history before posting again, and Slack may still be finishing it. A 429 waits
# its Retry-After instead.
FIRST_BACKOFF = timedelta(seconds=2)
FAILURE_CAP = timedelta(minutes=15)  # retryable failures are retried at least this often
# History is searched from this long before the first unknown post: Slack's clock and the
# database's may differ a little.
HISTORY_MARGIN = timedelta(minutes=5)
MAX_WAITS = 1000  # one flush's waits for a slot, a bound that time (LINGER) reaches first
# How long a channel's slot is held beyond POST_INTERVAL while its post may be in flight (a
# look in the history, then the post): another flush, or clock, posts there only after.
IN_FLIGHT = 2 * CALL_TIMEOUT
# Calls of a flush with workers that end this close together are recorded in one transaction.
SETTLE = timedelta(milliseconds=50)


class DeliveryError(Exception):
    """Slack refused or could not be reached.

    `permanent`: retrying will not fix it. `unknown`: the call may have taken effect all the
    same (a timeout or a server error after the request was sent). `retry_after`: Slack's
    429 asked for that many seconds before `method` is called again. `token`: Slack refused
    the bot token itself, so every call would be refused alike (permanent too)."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        unknown: bool = False,
        retry_after: float | None = None,
        method: str | None = None,
        token: bool = False,
    ):
        super().__init__(message)
        self.permanent = permanent or token
        self.unknown = unknown
        self.retry_after = retry_after
        self.method = method
        self.token = token


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
    slot_at: datetime  # on the pacing clock, when the batch took its channels' slots
    leased: float  # time.monotonic() just before slot_at was read
    now: datetime  # the clock's time when it was leased (the flush's, moved on by its waits)


@dataclass(frozen=True)
class _Turn:
    """One try at a lease: the batch held (empty if none); the pacing clock then; and, if
    none was free, when one that Slack's limits hold back may go."""

    held: list[_Lease]
    at: datetime
    ready: datetime | None = None


@dataclass
class _Outcome:
    action: str  # posted, updated, adopted, or failed
    posted: tuple[str, str] | None = None  # the message, if one is known to exist
    error: DeliveryError | None = None
    # After a failure: nothing this alert's attempts sent can be in the channel.
    settled: bool = False
    answered: float | None = None  # time.monotonic() as a post's call ended, if one was sent


def deliver_due(
    database: Database,
    messenger: Messenger,
    now: datetime,
    *,
    limit: int = 100,
    lease: timedelta = LEASE,
    pace: Pace | None = None,
    batch: int = BATCH,
    workers: int = 1,
) -> DeliveryReport:
    """Deliver up to `limit` alerts whose time has come, `batch` leases at a time, within
    Slack's limits (`bot.alerts.pacing`).

    A batch is leased in one transaction and its outcomes recorded in one more: two
    transactions per batch, not two per alert. Each alert keeps its own fencing: the batch's
    token, checked per row when recording. A batch holds at most one alert per channel that
    needs a post, and takes that channel's slot as it leases it (edits are not paced per
    channel); Retry-After holds keep their methods' alerts out of the batch. A post is only
    started in the first half of the lease, so each still has at least half of it (a minute)
    to finish; after a 429 or a refused token the batch stops. The alerts the batch did not
    try are released and leased again. When every due alert is held back by Slack's limits
    (a channel's next slot, a Retry-After), the flush waits for the first to pass if that is
    within the pace's linger, else ends and leaves the rest to the next one. `now` moves on
    with the waiting.

    With `workers` above 1 (the clock's, app.py) up to that many calls are in flight at
    once, each outcome recorded as its call ends (`_deliver_at_once`): one hung call then
    holds its own alert, not every other channel's behind it. Every alert leased is then
    tried: a 429 or a refused token met by one cannot stop those already sent, which are
    recorded alike; what it holds back is kept out of the next lease.
    """
    pace = pace or Pace()
    report = DeliveryReport()
    if workers > 1:
        failures = _deliver_at_once(
            database, messenger, now, lease, pace, batch, workers, limit, report
        )
    else:
        failures = _deliver_in_turn(database, messenger, now, lease, pace, batch, limit, report)
    if report.posted or report.updated or report.adopted:
        with database.session() as db:
            if pacing.token_works(db, now):
                log.warning("Slack takes the bot token again: alerts parked for it are due")
    if failures:
        raise RuntimeError(f"recording a delivery failed: {failures[0]}") from failures[0]
    return report


def _deliver_in_turn(
    database: Database,
    messenger: Messenger,
    now: datetime,
    lease: timedelta,
    pace: Pace,
    batch: int,
    limit: int,
    report: DeliveryReport,
) -> list[Exception]:
    """One batch at a time, its alerts one after another (`_attempt_in_turn`); each batch's
    outcomes recorded in one transaction. The failures to record, if any."""
    failures: list[Exception] = []
    start: datetime | None = None
    left, waits = limit, 0
    # Alerts this flush tried that now wait out a back-off: left to a later flush, which
    # looks again (FIRST_BACKOFF is shorter than a linger). A Retry-After is waited for here.
    backing_off: set[int] = set()
    while left > 0:
        started = time.monotonic()
        turn = _lease_batch(database, now, lease, pace, start, min(batch, left), backing_off)
        start = start or turn.at
        if not turn.held:
            if turn.ready is None or turn.ready - start > pace.linger or waits >= MAX_WAITS:
                break
            pace.wait(turn.ready - turn.at)
            waits += 1
            continue
        left -= len(turn.held)
        outcomes = _attempt_in_turn(messenger, turn.held, started, lease)
        untried = turn.held[len(outcomes) :]
        backing_off.update(
            held.id
            for held, outcome in outcomes
            if outcome.error is not None and outcome.error.retry_after is None
        )
        failures += _record_all(database, outcomes, untried, pace, report)
        left += len(untried)
    return failures


def _deliver_at_once(
    database: Database,
    messenger: Messenger,
    now: datetime,
    lease: timedelta,
    pace: Pace,
    batch: int,
    workers: int,
    limit: int,
    report: DeliveryReport,
) -> list[Exception]:
    """Up to `workers` calls in flight, each on a thread of its own, and each outcome
    recorded as soon as its call ends, not when the slowest of its batch does: a channel's
    slot is held while its post is in flight (IN_FLIGHT), so a batch recorded whole kept
    every channel it posted in waiting for its one hung call (up to CALL_TIMEOUT) — the
    chaos run's breaches queued 4 s at a time behind hangs in other channels. More alerts
    are leased while calls are in flight, as slots and threads come free. The threads only
    call the messenger; leasing and recording stay in this thread, one transaction each.
    Calls that end together (within SETTLE of the first) are recorded together. The
    failures to record, if any."""
    failures: list[Exception] = []
    start: datetime | None = None
    left, waits = limit, 0
    backing_off: set[int] = set()  # tried this flush and now backing off: a later flush's
    pending: dict[Future[_Outcome], _Lease] = {}
    with ThreadPoolExecutor(workers, thread_name_prefix="outbox") as pool:
        while left > 0 or pending:
            timeout: float | None = None  # till a call ends; or the next slot, if sooner
            room = min(batch, left, workers - len(pending))
            if room > 0:
                turn = _lease_batch(database, now, lease, pace, start, room, backing_off)
                start = start or turn.at
                if turn.held:
                    left -= len(turn.held)
                    for each in turn.held:
                        pending[pool.submit(_attempt, messenger, each)] = each
                    continue  # lease more while threads and slots are free
                if pending:
                    # Whether to wait on is decided once nothing is in flight: a channel's
                    # slot held for a post in flight (IN_FLIGHT) is cut when it is recorded,
                    # so a `ready` read now may be seconds later than it will be.
                    if turn.ready is not None:
                        timeout = max((turn.ready - turn.at).total_seconds(), 0.0)
                elif turn.ready is None or turn.ready - start > pace.linger or waits >= MAX_WAITS:
                    break  # nothing more for this flush
                else:
                    pace.wait(turn.ready - turn.at)
                    waits += 1
                    continue
            if not pending:
                break
            done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            if not done:
                waits += 1
                continue  # a slot opened: lease again
            rest = [future for future in pending if future not in done]
            more, _ = wait(rest, timeout=SETTLE.total_seconds()) if rest else (set(), set())
            outcomes = [(pending.pop(future), future.result()) for future in (*done, *more)]
            backing_off.update(
                held.id
                for held, outcome in outcomes
                if outcome.error is not None and outcome.error.retry_after is None
            )
            by_lease: dict[str, list[tuple[_Lease, _Outcome]]] = {}
            for held, outcome in outcomes:
                by_lease.setdefault(held.token, []).append((held, outcome))
            for group in by_lease.values():
                failures += _record_all(database, group, [], pace, report)
    return failures


def _attempt_in_turn(
    messenger: Messenger, held: list[_Lease], started: float, lease: timedelta
) -> list[tuple[_Lease, _Outcome]]:
    """The batch's alerts one after another, while half the lease is left and Slack has not
    said to stop (`_halts`); those not reached are left out (released by the caller)."""
    outcomes: list[tuple[_Lease, _Outcome]] = []
    for each in held:
        if outcomes and (
            time.monotonic() - started >= lease.total_seconds() / 2 or _halts(outcomes[-1][1])
        ):
            break  # too little of the lease left, or Slack said to stop for now
        outcomes.append((each, _attempt(messenger, each)))
    return outcomes


def take_over(database: Database, grace: timedelta = TAKEOVER_GRACE) -> int:
    """A new clock leader's first step: the leases still held end within `grace` (on the
    database's clock) rather than LEASE; how many were cut. The channels' slots held for
    the former leader's posts in flight (IN_FLIGHT) end within `grace` too, for the same
    reason (the pacing runs on the database's clock)."""
    with database.session() as db:
        until = database_time(db) + grace
        pacing.cut_slots(db, until)
        return Alerts.cut_leases(db, until)


def _halts(outcome: _Outcome) -> bool:
    """A 429 (its method is held) or a refused token (every waiting alert is parked): the
    rest of the batch is not tried but released, and leased again as the limits allow."""
    error = outcome.error
    return error is not None and (error.retry_after is not None or error.token)


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
    pace: Pace,
    report: DeliveryReport,
) -> list[Exception]:
    """Record a batch's outcomes in one transaction. Should it fail, each alert's is
    recorded in a transaction of its own, so one bad row cannot hold back the others: its
    failure is logged and returned, and the alert, still leased, is retried when its lease
    runs out."""
    try:
        with database.session() as db:
            kept = _record(db, outcomes, untried, pace)
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
                (was_kept,) = _record(db, [(held, outcome)], [], pace)
        except Exception as exc:  # noqa: BLE001 - logged; the others are still recorded
            log.exception("alert %s: recording its delivery (%s) failed", held.key, outcome.action)
            failures.append(exc)
        else:
            _count(report, held, outcome, was_kept)
    try:
        with database.session() as db:
            _record(db, [], untried, pace)
    except Exception as exc:  # noqa: BLE001 - their leases run out instead
        log.exception("releasing %s undelivered alerts failed", len(untried))
        failures.append(exc)
    return failures


def _lease_batch(
    database: Database,
    now: datetime,
    lease: timedelta,
    pace: Pace,
    start: datetime | None,
    count: int,
    skip: Collection[int] = (),
) -> _Turn:
    """Take up to `count` due alerts that Slack's limits let through in one short
    transaction, under one fencing token: at most one needing a post per channel, whose
    slot is taken in the same transaction (an alert whose slot another clock took since it
    was chosen is left). A post about to be sent is recorded as started before the
    transaction commits, so a crash leaves a trace."""
    with database.session() as db:
        leased = time.monotonic()
        wall = database_time(db)
        at = wall if pace.clock is None else pace.clock.now()
        due = now if start is None else now + (at - start)
        chosen: list[Alert] = []
        posting: set[str] = set()
        open_now = pacing.open_for(at, skip)
        for alert in Alerts.next_due_batch(db, due, wall, count, open_now, first=URGENT):
            if alert.ts is None:
                if alert.channel in posting:
                    continue  # its channel's one post of this batch is taken: a later batch
                posting.add(alert.channel)
            chosen.append(alert)
        slots = pacing.reserve_all(db, chosen, at, IN_FLIGHT)
        chosen = [alert for alert in chosen if alert.ts is not None or alert.channel in slots]
        if not chosen:
            return _Turn([], at, pacing.ready_at(db, due, wall, at, skip))
        token = uuid.uuid4().hex
        held = []
        for alert in chosen:
            alert.lease_token, alert.leased_until = token, wall + lease
            unknown_since = alert.post_started_at
            marked = alert.ts is None and alert.post_started_at is None
            if marked:
                alert.post_started_at = wall
            held.append(_snapshot(alert, unknown_since, marked, at, leased, due))
        return _Turn(held, at)


def _snapshot(
    alert: Alert,
    unknown_since: datetime | None,
    marked: bool,
    slot_at: datetime,
    leased: float,
    now: datetime,
) -> _Lease:
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
        slot_at=slot_at,
        leased=leased,
        now=now,
    )


def _attempt(messenger: Messenger, held: _Lease) -> _Outcome:
    """One delivery: edit the posted message; or adopt the one an earlier unknown post
    left in the channel; or post. Never inside a transaction."""
    found, stage, unread = held.posted, "find", False
    posting = False
    try:
        if found is None and held.unknown_since is not None:
            found, unread = _find(messenger, held)
        stage = "edit"
        if found is not None:
            messenger.update(*found, held.text, held.blocks)
            return _Outcome("updated" if held.posted else "adopted", found)
        stage, posting = "post", True
        posted = messenger.post(held.target, held.text, held.blocks, held.thread_ts, held.key)
        return _Outcome("posted", posted, answered=time.monotonic())
    except DeliveryError as error:
        # Settled: the post was refused outright after any earlier unknown post was looked
        # for and not found, so nothing of this alert's is in the channel. History that
        # could not be read proves nothing: the earlier post is looked for next time.
        settled = stage == "post" and not error.unknown and not unread
        answered = time.monotonic() if posting else None
        return _Outcome("failed", found, error, settled=settled, answered=answered)
    except Exception as error:  # noqa: BLE001 - a messenger's own failure is an unknown outcome
        # Not Slack's refusal but the messenger's (an answer it could not read, its own
        # bug): the call may have been done, so it is recorded, retried and looked for
        # like a timeout, not left to stop the sweep with the lease held and no reason shown.
        log.exception("alert %s: the messenger failed while delivering (%s)", held.key, stage)
        unknown = DeliveryError(f"{stage}: {error!r}", unknown=True)
        answered = time.monotonic() if posting else None
        return _Outcome("failed", found, unknown, answered=answered)


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
    pace: Pace,
) -> list[bool]:
    """Write each outcome whose alert `held` still holds the lease (False, logged, for
    those whose lease was lost), and release the alerts left untried: nothing was sent for
    them, so a post this lease marked as started is unmarked. A 429's Retry-After, the
    channels posted in and a refused token are recorded for every clock (bot.alerts.pacing)."""
    leases = [held for held, _ in outcomes] + untried
    if not leases:
        return []
    at: datetime | None = None
    for _, outcome in outcomes:
        error = outcome.error
        if error is not None and error.retry_after is not None and error.method:
            at = at or pace.now(db)
            until = pacing.obey(db, error.method, error.retry_after, at)
            log.warning("Slack: %s rate limited, not called before %s", error.method, until)
    rows = Alerts.held_batch(db, [held.id for held in leases], leases[0].token)
    kept = []
    refused: tuple[DeliveryError, datetime] | None = None
    for held, outcome in outcomes:
        now = held.now
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
        if outcome.error is not None and outcome.error.token:
            alert.last_error = pacing.token_reason(str(outcome.error))
            refused = (outcome.error, now)
    for held in untried:
        alert = rows.get(held.id)
        if alert is None:
            continue
        alert.lease_token = alert.leased_until = None
        if held.marked_started:
            alert.post_started_at = None
    # Each channel a post was sent to (or may have been) waits its interval from when the
    # batch's last post was answered, not from the lease: a batch's later posts went after
    # it began.
    # Channels whose slot the batch took for an alert left untried are free again as they
    # would have been without the hold for the post in flight.
    reserved = pacing.reserved_until(leases[0].slot_at, IN_FLIGHT)
    sent = {held.target for held, _ in outcomes if held.posted is None}
    if sent:
        pacing.posted_in(db, sent, _last_answered(outcomes, pace) or at or pace.now(db), reserved)
    unsent = {held.target for held in untried if held.posted is None} - sent
    if unsent:
        pacing.posted_in(db, unsent, leases[0].slot_at, reserved)
    if refused is not None:
        error, now = refused
        parked = pacing.token_refused(db, str(error), now, database_time(db))
        log.error("Slack refused the bot token (%s): %s more alerts parked", error, parked)
    return kept


def _last_answered(outcomes: list[tuple[_Lease, _Outcome]], pace: Pace) -> datetime | None:
    """When the last of these posts' calls ended, on the database's clock (its lease's
    time plus the seconds from the lease to the answer, a little late rather than early),
    if any post was sent. A channel's next post waits its interval from then: after the
    post reached Slack, not from when the answer was recorded, which under load came ~0.2 s
    later for every post (the chaos run's channels posted every 1.2 s, not 1). Not from
    when it was sent either: a request can take a while to arrive on a busy host, and the
    next one then arrived too soon (tests/test_clocks_race.py). None on a pace's own clock
    (a test's, moved on only by waiting: its now is when they were answered)."""
    if pace.clock is not None:
        return None
    times = [
        held.slot_at + timedelta(seconds=max(outcome.answered - held.leased, 0.0))
        for held, outcome in outcomes
        if outcome.answered is not None
    ]
    return max(times, default=None)


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
    # Slack said when: then, not after the back-off (and the method is held till then).
    if error.retry_after is None:
        wait = backoff(alert.attempts)
    else:
        wait = timedelta(seconds=error.retry_after)
    alert.next_attempt_at = now + wait
    log.warning(
        "alert %s not delivered (attempt %s), retry at %s: %s",
        alert.key,
        alert.attempts,
        alert.next_attempt_at,
        error,
    )


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s … doubling up to FAILURE_CAP, then every FAILURE_CAP for as long
    as it takes: a retryable failure never gives up."""
    if attempts > 10:
        return FAILURE_CAP
    return min(FIRST_BACKOFF * 2 ** (attempts - 1), FAILURE_CAP)
