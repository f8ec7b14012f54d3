"""Slack's limits, kept by the outbox itself and shared by every clock through the database
(issue 12 item 3; the rows are store/models/pacing.py).

- **One post a second per channel**: Slack's special limit for chat.postMessage. A leased
  batch holds at most one alert per channel that may post, and takes those channels' slots
  (`reserve_all`, in the leasing transaction, the rows locked), held while the post may be
  in flight: the next post there waits POST_INTERVAL, counted from when the batch's outcomes
  are recorded (`posted_in`), as a batch's posts go after its lease. A burst to one channel is queued, not dropped;
  alerts to other channels go in the same batch, so they do not wait behind it.
- **Retry-After**: a 429 holds the method it answered for Retry-After seconds (Slack's rate
  limits are per method per workspace; Hourglass serves one workspace): no clock calls it
  again before then (`obey`), and the alert itself is due again then, not after back-off.
- **A refused bot token** (`invalid_auth`, `token_revoked` …) refuses every call alike: the
  alert that met it and every other alert waiting are parked at once with TOKEN_REFUSED, one
  reason for all, instead of each being refused in turn; once a delivery succeeds again (a
  working token), they are delivered after all (`token_works`).

Time here is the pacing's clock: the database's (the same for every process, and a cron
`hourglass sweep --at` another instant cannot hold a channel for hours), unless a `Pace`
injects one (tests, the demo: a FixedClock that waiting moves on, so nothing sleeps).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from bot.clock import Clock, FixedClock
from store.models import Alert
from store.repositories.core import database_time
from store.repositories.pacing import CHANNEL, METHOD, TOKEN, Pacing, open_alerts

POST_INTERVAL = timedelta(seconds=1)
# How long one flush waits for a slot or a Retry-After to pass before it ends and leaves the
# rest to the next tick: long enough for a burst of ten to one channel, short beside a sweep.
LINGER = timedelta(seconds=10)
TOKEN_REFUSED = "{error}: Slack refused the bot token; delivered once a post works again"
BOT = "bot"


def _sleep(delta: timedelta) -> None:
    time.sleep(max(delta.total_seconds(), 0.0))


@dataclass(frozen=True)
class Pace:
    """The pacing's clock and how a flush waits on it: the database's clock and a real sleep,
    unless `clock` is given (then `wait` should move it on, as `virtual` does)."""

    clock: Clock | None = None
    wait: Callable[[timedelta], object] = field(default=_sleep)
    linger: timedelta = LINGER

    def now(self, db: Session) -> datetime:
        return self.clock.now() if self.clock is not None else database_time(db)


def virtual(clock: FixedClock, linger: timedelta = LINGER) -> Pace:
    """Pacing on a fixed clock that waiting moves on: no real sleep, the times still paced."""
    return Pace(clock=clock, wait=clock.advance, linger=linger)


def open_for(at: datetime, skip: Collection[int] = ()) -> list[ColumnElement[bool]]:
    """Conditions for the outbox's lease: only alerts Slack's limits let through at `at`,
    other than those in `skip`."""
    return open_alerts(at) + ([Alert.id.not_in(skip)] if skip else [])


def reserved_until(at: datetime, in_flight: timedelta) -> datetime:
    """Until when a slot taken at `at` for a post that may take `in_flight` is held."""
    return at + POST_INTERVAL + in_flight


def reserve_all(
    db: Session, alerts: Iterable[Alert], at: datetime, in_flight: timedelta = timedelta(0)
) -> set[str]:
    """Take the channel slot of each alert that may post (no message yet; a batch leases at
    most one such alert per channel); the channels whose slot was taken, not those another
    clock took since the alerts were chosen. The slot is held for POST_INTERVAL and the
    post's own time (`in_flight`): no other flush posts there while it may still be on its
    way (`posted_in` then counts the interval from when it was recorded)."""
    channels = {alert.channel for alert in alerts if alert.ts is None}
    return Pacing.reserve_all(db, CHANNEL, channels, at, reserved_until(at, in_flight))


def posted_in(
    db: Session, channels: Iterable[str], at: datetime, reserved: datetime | None = None
) -> None:
    """Posts in `channels` were sent by `at` (a batch's, some after its lease began), or
    will not be (`at` the lease's time, for alerts released untried): the next post in each
    waits POST_INTERVAL from then. The batch's own reservation (until `reserved`) is cut to
    that; a later one, another flush's, stands."""
    Pacing.hold_all(db, CHANNEL, channels, at + POST_INTERVAL, reserved)


def cut_slots(db: Session, until: datetime) -> None:
    """Channels' slots held past `until` end then (a new clock leader's takeover:
    bot.alerts.delivery.take_over)."""
    Pacing.cut_all(db, CHANNEL, until)


def obey(db: Session, method: str, retry_after: float, at: datetime) -> datetime:
    """Hold `method` for `retry_after` seconds from `at`; until when."""
    until = at + timedelta(seconds=retry_after)
    Pacing.hold(db, METHOD, method, until, f"429 Retry-After {retry_after:g} s")
    return until


def ready_at(
    db: Session, now: datetime, wall: datetime, at: datetime, skip: Collection[int] = ()
) -> datetime | None:
    """On the pacing clock (at `at`, the flush's `now`): when a due alert that Slack's limits
    hold back may go, or the next alert falls due (a Retry-After's), whichever is first;
    None if nothing waits. The alerts in `skip` are not waited for."""
    times = []
    if Pacing.due_unleased(db, now, wall, skip):
        held = Pacing.earliest_after(db, at)
        if held is not None:
            times.append(held)
    upcoming = Pacing.next_after(db, now, wall, skip)
    if upcoming is not None:
        times.append(at + (upcoming - now))
    return min(times, default=None)


def token_reason(error: str) -> str:
    return TOKEN_REFUSED.format(error=error)


def token_refused(db: Session, error: str, now: datetime, wall: datetime) -> int:
    """Park every alert waiting, with one reason; remembered so `token_works` can undo it."""
    reason = token_reason(error)
    Pacing.hold(db, TOKEN, BOT, now, reason)
    return Pacing.park_waiting(db, reason, now, wall)


def token_works(db: Session, now: datetime) -> int:
    """A delivery succeeded: alerts parked for a refused token are due again; how many."""
    refused = Pacing.find(db, TOKEN, BOT)
    if refused is None or refused.reason is None:
        return 0
    count = Pacing.unpark(db, refused.reason, now)
    Pacing.forget(db, TOKEN, BOT)
    return count
