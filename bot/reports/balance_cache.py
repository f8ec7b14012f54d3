"""`/balance` kept per process while provably current (issue 11 item 2: a read-only
`/balance` cost 33-40 statements and ~20 ms of CPU, 80 % of it the month's statement, the
open months and the forecast, recomputed on every call).

What a balance shows is derived from the customer's row, the policy, the rows the database's
triggers (migration 0030C) count in `customers.balance_version` (time entries, hour blocks,
bookings with their engineers and moves, phone calls, issued statements), and the clock. So
a kept one is served only when:
- the version read with the customer's row (no extra statement) is the one it was derived
  at: every write to those rows, through any replica, process or script, bumps it in the
  writing transaction, so another process's copy is stale the moment the write commits;
- the customer's own fields it shows (name, plan, seats, phone support) and the policy
  object (parsed once per process) are the same;
- the provider's day is the same (months, block expiry, the forecast, "today"), and no
  booking boundary has passed since (a session starting or ending changes what it bills
  and the upcoming list): `valid_until` is the earliest of the next midnight and every
  such instant, read from the customer's bookings when it is derived.
Only a read-only session derives or serves a kept balance: one that wrote may roll back,
and the version a write session holds in its identity map predates its own writes. The
version is read before anything the balance is derived from, so a kept balance is never
older than its version (on Postgres, read committed, it may be newer: harmless).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from threading import Lock
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy.orm import Session

from bot.policy.model import Policy, provider_today
from store.db import READ_ONLY
from store.models import Customer
from store.repositories.bookings import Bookings

T = TypeVar("T")
KEEP_AT_MOST = 10_000  # kept balances per database; cleared (and rebuilt) past it


@dataclass(frozen=True)
class _Kept:
    key: tuple[Any, ...]
    policy: Policy
    since: datetime
    valid_until: datetime
    value: Any


_kept: WeakKeyDictionary[Any, dict[int, _Kept]] = WeakKeyDictionary()
_lock = Lock()


def kept_balance(
    db: Session, policy: Policy, customer: Customer, now: datetime, derive: Callable[[], T]
) -> T:
    """`derive()`, or what it returned for the same customer, version, policy and day while
    no booking boundary has passed."""
    bind = db.get_bind()
    if not bind.get_execution_options().get(READ_ONLY):
        return derive()
    key = (
        customer.balance_version,
        customer.name,
        customer.plan,
        customer.seats,
        customer.phone_support,
        customer.created_at,
        provider_today(policy, now),
    )
    with _lock:
        here = _kept.setdefault(bind.engine.pool, {})
        kept = here.get(customer.id)
    if (
        kept is not None
        and kept.key == key
        and kept.policy is policy
        and kept.since <= now < kept.valid_until
    ):
        value: T = kept.value
        return value
    value = derive()
    entry = _Kept(key, policy, now, _valid_until(db, policy, customer, now), value)
    with _lock:
        if len(here) >= KEEP_AT_MOST:
            here.clear()
        here[customer.id] = entry
    return value


def _valid_until(db: Session, policy: Policy, customer: Customer, now: datetime) -> datetime:
    """The next instant the clock alone changes the balance: the provider's next midnight,
    or a booking's start or end (its status and charge), or the moment it comes within the
    upcoming list's reach, whichever is first."""
    tomorrow = provider_today(policy, now) + timedelta(days=1)
    instants = [datetime.combine(tomorrow, time(0), tzinfo=policy.timezone)]
    reach = timedelta(days=policy.bookings.max_ahead_days + 1)
    for start, end in Bookings.spans_ending_after(db, customer.id, now):
        instants += [start - reach, start, end]
    return min(moment for moment in instants if moment > now)
