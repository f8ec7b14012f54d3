"""Where billed time comes from, and how it draws down a customer's hour blocks.

Each feature that bills (ad-hoc days, held sessions, cancellation charges) is registered as a
charge source by `bot.features`, so the ledger never imports the features that charge it.

The allocation is a fold over charges in date order (`bot.billing.blocks`), so what it
carries into a month (each block's minutes left, the overage so far) is all a ledger from that
month on needs: the ledger draws only the month's charges from that carried state, and keeps
the state per process (issue 11: a command's cost no longer grows with the customer's age).

Why kept in the process and not stored: a read-only command then never writes, and the state
is cheap to rebuild from the nearest earlier one. It is used only while provably current:
- logged time (the big source) before the cut changed iff a `LedgerChange` row newer than the
  revision the state was built at names a date before the cut (the flush hook writes one for
  every add, undo and edit; per customer they commit in id order), so a back-dated entry, an
  undo or an edit on any replica reopens the month everywhere;
- blocks (a few dozen rows, read on every call anyway) and the other sources' charges before
  the cut (sessions: few, and time-dependent) are compared as they are now;
- a session that itself wrote logged time before the cut never keeps what it derived (it
  may roll back); one whose writes are all on or after the cut keeps it at the revision
  before its own changes, so a /log for today keeps the state for the next command.
`full_ledger` is the from-scratch derivation, kept as the reference the tests compare with.

The clock's three block rules (`block_expiring`, `block_expired`, `forfeit_risk`) ask
`ledgers_for` for the same customers' ledgers in one tick, each in its own transaction: the
first derives them, the others take them while each customer's `balance_version` (bumped by
the database on every write a ledger reads) is unchanged (`_Shared`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.billing.blocks import (
    Allocation,
    Carry,
    Charge,
    Drawdown,
    HourBlock,
    allocate,
    carry_to,
)
from bot.billing.hours import block_terms
from bot.policy.model import Policy, provider_today
from store.models import Customer
from store.models.time_entries import LEDGER_CHANGE_ROWS, LEDGER_CHANGED, LOCKED_CUSTOMERS
from store.repositories.core import BlockRow, Customers, HourBlocks
from store.repositories.time import LedgerChanges

# (db, policy, customer, now, since): charges dated `since` or later (all when None); a
# source may return earlier ones too, the ledger filters.
ChargeSource = Callable[[Session, Policy, Customer, datetime, date | None], list[Charge]]


# (db, customer): the earliest date the source charges, without reading every charge.
FirstDay = Callable[[Session, Customer], date | None]

# (db, policy, customers, now, since): `ChargeSource` for a sweep's batch of customers, in a
# few reads for all of them, by customer id.
ChargeSourceFor = Callable[
    [Session, Policy, list[Customer], datetime, date | None], dict[int, list[Charge]]
]


@dataclass(frozen=True)
class _Source:
    read: ChargeSource
    first: FirstDay | None  # set for tracked sources (the others are read whole anyway)
    read_for: ChargeSourceFor | None = None  # the batch's reader, if the source has one


_sources: dict[str, _Source] = {}


def register_charge_source(
    name: str,
    source: ChargeSource,
    *,
    tracked: FirstDay | None = None,
    batch: ChargeSourceFor | None = None,
) -> None:
    """Add (or replace, by name) a source of billed time; `bot.features` registers them all.
    `tracked` (the source's first day): every change to what it reads writes a
    `LedgerChange` (logged time does), so the ledger may keep what it derived from it.
    `batch`: the same charges for many customers at once (`ledgers_for`, the sweeps)."""
    _sources[name] = _Source(source, tracked, batch)


def first_charge_day(db: Session, policy: Policy, customer: Customer, now: datetime) -> date | None:
    """The earliest day anything is charged, reading only the untracked sources whole."""
    days = [c.work_date for c in _untracked(db, policy, customer, now)]
    days += [d for s in _registered() if s.first for d in [s.first(db, customer)] if d]
    return min(days, default=None)


def _registered() -> list[_Source]:
    if not _sources:
        # A ledger without its sources would bill nothing, silently: refuse instead.
        raise RuntimeError("no charge sources are registered; import bot.features first")
    return list(_sources.values())


def charge_sources() -> list[ChargeSource]:
    """Every registered source of billed time, in registration order."""
    return [s.read for s in _registered()]


def charges_for(
    db: Session, policy: Policy, customer: Customer, now: datetime, since: date | None = None
) -> list[Charge]:
    """Every charge (dated `since` or later, when given)."""
    charges: list[Charge] = []
    for source in _registered():
        found = source.read(db, policy, customer, now, since)
        charges.extend(c for c in found if since is None or c.work_date >= since)
    return charges


@dataclass(frozen=True)
class Ledger:
    customer: Customer
    charges: list[Charge]  # those from `since` to `as_of`
    allocation: Allocation  # balances of every block; drawdowns from `since` on
    as_of: date
    since: date | None = None
    # What each month before `since` drew (`ledger_for` only, from the same carried state):
    # a statement's adjustments for the issued months before it read these, not the state
    # again (issue 11: each read of it is a round trip to Postgres).
    months: Mapping[date, MonthDraw] = field(default_factory=dict)


def full_ledger(
    db: Session, policy: Policy, customer: Customer, now: datetime, as_of: date | None = None
) -> Ledger:
    """Every charge up to `as_of` drawn from scratch: the reference derivation."""
    as_of = as_of or provider_today(policy, now)
    charges = [c for c in charges_for(db, policy, customer, now) if c.work_date <= as_of]
    blocks = [block_terms(b) for b in HourBlocks.for_customer(db, customer.id)]
    return Ledger(customer, charges, allocate(charges, blocks, as_of), as_of)


def ledger_for(
    db: Session,
    policy: Policy,
    customer: Customer,
    now: datetime,
    as_of: date | None = None,
    since: date | None = None,
) -> Ledger:
    """Charges up to `as_of` (default today) drawn against every block the customer bought.
    Balances are the full derivation's; drawdowns and charges are listed from the first of
    the month of `since` (default `as_of`) on."""
    as_of = as_of or provider_today(policy, now)
    cut = min(as_of, since or as_of).replace(day=1)
    blocks = tuple(block_terms(b) for b in HourBlocks.for_customer(db, customer.id))
    untracked = _untracked(db, policy, customer, now)
    kept = _kept_state(db, policy, customer, now, cut, blocks, untracked)
    later = [c for c in untracked if cut <= c.work_date <= as_of] + [
        c for c in _tracked(db, policy, customer, now, cut) if c.work_date <= as_of
    ]
    allocation = allocate(later, blocks, as_of, kept.carry)
    return Ledger(customer, later, allocation, as_of, cut, kept.months)


def ledgers_for(
    db: Session,
    policy: Policy,
    customers: Iterable[Customer],
    now: datetime,
    as_of: date | None = None,
    since: date | None = None,
    blocks: dict[int, list[BlockRow]] | None = None,
) -> dict[int, Ledger]:
    """`ledger_for` each of a sweep's batch of customers, by id, the same ledgers in a few
    reads for the whole batch (issue 11: a sweep's due blocks each re-read their customer's
    ledger, about six statements a block): the blocks, each source's charges, the kept
    states' change checks, and the logged time of the states not kept. `blocks`: the
    customers' blocks in use, if the caller has read them already (then read after the
    customers' locks, or the ledgers are not shared).

    A ledger an earlier rule of the same tick derived (same `now`, policy, `as_of` and cut)
    is taken as it is while the customer's `balance_version` is unchanged: see `_Shared`."""
    batch = list({customer.id: customer for customer in customers}.values())
    if not batch:
        return {}
    as_of = as_of or provider_today(policy, now)
    cut = min(as_of, since or as_of).replace(day=1)
    # Read first: a ledger derived after it is never older than the version it is shared at.
    versions = Customers.balance_versions(db, (customer.id for customer in batch))
    found: dict[int, Ledger] = {}
    for customer in batch:
        shared = _shared_ledger(db, policy, customer, now, as_of, cut, versions.get(customer.id))
        if shared is not None:
            found[customer.id] = shared
    rest = [customer for customer in batch if customer.id not in found]
    if rest:
        derived = _derive_for(db, policy, rest, now, as_of, since, blocks)
        locked = db.info.get(LOCKED_CUSTOMERS, set())
        _stage(
            db, policy, now, versions,
            # Blocks the caller read are as old as its read: shared only if nothing could
            # change them since (the customers locked before it).
            [ledger for i, ledger in derived.items() if blocks is None or i in locked],
        )  # fmt: skip
        found.update(derived)
    return {customer.id: found[customer.id] for customer in batch}


def _derive_for(
    db: Session,
    policy: Policy,
    batch: list[Customer],
    now: datetime,
    as_of: date,
    since: date | None,
    blocks: dict[int, list[BlockRow]] | None,
) -> dict[int, Ledger]:
    """`ledgers_for`'s derivation, for the customers no earlier rule shared."""
    if any(source.read_for is None for source in _registered()):  # a source without a batch read
        return {c.id: ledger_for(db, policy, c, now, as_of=as_of, since=since) for c in batch}
    cut = min(as_of, since or as_of).replace(day=1)
    ids = [customer.id for customer in batch]
    rows = blocks if blocks is not None else HourBlocks.terms_for(db, ids)
    terms = {
        i: tuple(HourBlock(str(b.id), b.minutes, b.purchased, b.expires) for b in rows[i])
        for i in ids
    }
    untracked = _read_for(db, policy, batch, now, None, tracked=False)
    entries = {customer.id: _kept_entry(db, customer, cut) for customer in batch}
    seen = LedgerChanges.after_for(
        db, {i: (kept.revision if kept else 0) for i, (_, _, kept) in entries.items()}, _own(db)
    )
    states: dict[int, _Kept] = {}
    for customer in batch:
        found = _kept_check(
            db, policy, customer, cut, terms[customer.id], untracked[customer.id],
            entries[customer.id], seen[customer.id],
        )  # fmt: skip
        if found is not None:
            states[customer.id] = found
    rebuilt = [customer for customer in batch if customer.id not in states]
    history = _read_for(db, policy, rebuilt, now, None, tracked=True) if rebuilt else {}
    for customer in rebuilt:
        charges = [c for c in history[customer.id] if c.work_date < cut]
        states[customer.id] = _kept_build(
            db, policy, customer, cut, terms[customer.id], untracked[customer.id],
            entries[customer.id], seen[customer.id][0], charges,
        )  # fmt: skip
    current = [customer for customer in batch if customer not in rebuilt]
    recent = _read_for(db, policy, current, now, cut, tracked=True) if current else {}
    recent.update(history)
    ledgers = {}
    for customer in batch:
        i = customer.id
        later = [c for c in untracked[i] if cut <= c.work_date <= as_of] + [
            c for c in recent[i] if cut <= c.work_date <= as_of
        ]
        allocation = allocate(later, terms[i], as_of, states[i].carry)
        ledgers[i] = Ledger(customer, later, allocation, as_of, cut, states[i].months)
    return ledgers


def _read_for(
    db: Session,
    policy: Policy,
    customers: list[Customer],
    now: datetime,
    since: date | None,
    *,
    tracked: bool,
) -> dict[int, list[Charge]]:
    """The tracked (or untracked) sources' charges for the batch, by customer id."""
    found: dict[int, list[Charge]] = {customer.id: [] for customer in customers}
    for source in _registered():
        if (source.first is not None) != tracked:
            continue
        assert source.read_for is not None  # ledgers_for checked
        for customer_id, charges in source.read_for(db, policy, customers, now, since).items():
            found[customer_id].extend(charges)
    return found


def _tracked(
    db: Session, policy: Policy, customer: Customer, now: datetime, since: date | None
) -> list[Charge]:
    found = (s.read(db, policy, customer, now, since) for s in _registered() if s.first)
    return [c for batch in found for c in batch if since is None or c.work_date >= since]


def _untracked(db: Session, policy: Policy, customer: Customer, now: datetime) -> list[Charge]:
    found = (s.read(db, policy, customer, now, None) for s in _registered() if not s.first)
    return [c for batch in found for c in batch]


@dataclass(frozen=True)
class MonthDraw:
    """What a month's charges drew: their minutes, and the overage as (day, minutes)."""

    billed_minutes: int = 0
    overage: tuple[tuple[date, int], ...] = ()

    @property
    def overage_minutes(self) -> int:
        return sum(minutes for _, minutes in self.overage)


def month_draws(
    db: Session,
    policy: Policy,
    customer: Customer,
    now: datetime,
    first: date,
    last: date,
    ledger: Ledger | None = None,
) -> dict[date, MonthDraw]:
    """What each month from `first`'s to `last`'s drew, by the month's first day; every one
    of them must have ended. Derived with the state carried past the last of them, so it
    costs a kept state's check, not a pass over the months (issue 11: a statement carrying
    adjustments for five years of issued months no longer reads those five years). A
    `ledger_for` ledger of the same customer, `now` and policy from the month after `last`
    (a statement's own) already holds them: then nothing is read."""
    cut = _next_month(last)
    if cut > provider_today(policy, now):
        raise ValueError(f"{last:%Y-%m} has not ended: its draws are not final")
    if ledger is not None and ledger.since == cut and ledger.customer is customer:
        months = ledger.months
    else:
        blocks = tuple(block_terms(b) for b in HourBlocks.for_customer(db, customer.id))
        untracked = _untracked(db, policy, customer, now)
        months = _kept_state(db, policy, customer, now, cut, blocks, untracked).months
    found, month = {}, first.replace(day=1)
    while month < cut:
        found[month] = months.get(month, MonthDraw())
        month = _next_month(month)
    return found


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _draws_by_month(charges: list[Charge], drawdowns: list[Drawdown]) -> dict[date, MonthDraw]:
    billed: dict[date, int] = {}
    overage: dict[date, list[tuple[date, int]]] = {}
    for charge in charges:
        month = charge.work_date.replace(day=1)
        billed[month] = billed.get(month, 0) + charge.minutes
    for drawdown in drawdowns:
        if drawdown.block_id is None:
            month = drawdown.work_date.replace(day=1)
            overage.setdefault(month, []).append((drawdown.work_date, drawdown.minutes))
    return {
        month: MonthDraw(billed.get(month, 0), tuple(overage.get(month, ())))
        for month in billed.keys() | overage.keys()
    }


@dataclass
class _Kept:
    """A carried state, what each month before its cut drew, and what they were derived
    from."""

    revision: int
    policy: Policy
    blocks: tuple[HourBlock, ...]
    untracked: tuple[Charge, ...]
    carry: Carry
    months: dict[date, MonthDraw]


_kept: WeakKeyDictionary[Any, dict[tuple[int, datetime, date], _Kept]] = WeakKeyDictionary()
_kept_lock = Lock()
KEEP_AT_MOST = 10_000  # kept states per database (customer x month)


def _kept_state(
    db: Session,
    policy: Policy,
    customer: Customer,
    now: datetime,
    cut: date,
    blocks: tuple[HourBlock, ...],
    untracked: list[Charge],
) -> _Kept:
    """The state carried into `cut` and the months' draws before it, kept while provably
    current."""
    entry = _kept_entry(db, customer, cut)
    kept = entry[2]
    seen = LedgerChanges.after(db, customer.id, kept.revision if kept else 0, _own(db))
    found = _kept_check(db, policy, customer, cut, blocks, untracked, entry, seen)
    if found is not None:
        return found
    charges = [c for c in _tracked(db, policy, customer, now, None) if c.work_date < cut]
    return _kept_build(db, policy, customer, cut, blocks, untracked, entry, seen[0], charges)


_Entry = tuple[dict[tuple[int, datetime, date], _Kept], tuple[int, datetime, date], _Kept | None]


def _kept_entry(db: Session, customer: Customer, cut: date) -> _Entry:
    """Where the customer's state carried into `cut` is kept, its key, and the state (if
    any)."""
    with _kept_lock:
        kept_here = _kept.setdefault(db.get_bind().engine, {})
    key = (customer.id, customer.created_at, cut)
    return kept_here, key, kept_here.get(key)


def _own(db: Session) -> list[int]:
    """This session's own (uncommitted) ledger changes."""
    return [row.id for row in db.info.get(LEDGER_CHANGE_ROWS, []) if row.id is not None]


def _wrote_before(db: Session, customer: Customer, cut: date) -> bool:
    # This session's own changes to the customer's logged time are not committed (it may
    # roll back): a state that depends on them is used but not kept. One that does not
    # (they are all dated on or after the cut, as a /log for today is) is kept, at a
    # revision that leaves them out.
    written = db.info.get(LEDGER_CHANGED, {}).get(customer.id)
    return written is not None and written < cut


def _kept_check(
    db: Session,
    policy: Policy,
    customer: Customer,
    cut: date,
    blocks: tuple[HourBlock, ...],
    untracked: list[Charge],
    entry: _Entry,
    seen: tuple[int, date | None],
) -> _Kept | None:
    """The kept state if it is still current (`seen`: the changes after its revision)."""
    kept = entry[2]
    revision, earliest = seen
    before = tuple(sorted((c for c in untracked if c.work_date < cut), key=_order))
    if (
        kept is not None
        and (earliest is None or earliest >= cut)
        and (kept.policy is policy and kept.blocks == blocks and kept.untracked == before)
    ):
        if not _wrote_before(db, customer, cut):
            kept.revision = revision
        return kept
    return None


def _kept_build(
    db: Session,
    policy: Policy,
    customer: Customer,
    cut: date,
    blocks: tuple[HourBlock, ...],
    untracked: list[Charge],
    entry: _Entry,
    revision: int,
    tracked: list[Charge],
) -> _Kept:
    """The state derived from the tracked charges before `cut`; kept unless it depends on
    this session's own changes."""
    kept_here, key, _ = entry
    before = tuple(sorted((c for c in untracked if c.work_date < cut), key=_order))
    charges = tracked + list(before)
    drawdowns: list[Drawdown] = []
    carry = carry_to(charges, blocks, cut, drawdowns=drawdowns)
    state = _Kept(revision, policy, blocks, before, carry, _draws_by_month(charges, drawdowns))
    if not _wrote_before(db, customer, cut):
        if len(kept_here) >= KEEP_AT_MOST:  # a bound on memory; a cleared state is rebuilt
            kept_here.clear()
        kept_here[key] = state
    return state


def _order(charge: Charge) -> tuple[date, str, int]:
    return (charge.work_date, charge.source, charge.minutes)


# --- ledgers shared by the clock's rules of one tick ------------------------------------------


@dataclass(frozen=True)
class _Shared:
    """A ledger an earlier rule of the tick derived (issue 11, bench/sweep.py: the three block
    rules, `block_expiring`, `block_expired` and `forfeit_risk`, each derived the same due
    customers' ledgers, every block they ever bought read and allocated three times).

    A ledger is derived from the customer's hour blocks, charges (logged time, sessions:
    bookings, their moves and engineers), `created_at`, the policy and `now`. The database's
    triggers (migration 0030C) bump `customers.balance_version` in every transaction that
    writes any of those rows, so at one committed version they are fixed. So a shared ledger
    is served only for the same customer, version (read from the database, this
    transaction's own writes included), `created_at`, policy object, `now`, `as_of` and cut;
    and only what a committed transaction derived is shared (`_share_staged`): one that rolls
    back may have derived from writes no one will see, at a version another may reach."""

    version: int
    created_at: datetime
    policy: Policy
    ledger: Ledger


@dataclass
class _Tick:
    now: datetime
    ledgers: dict[tuple[int, date, date | None], _Shared] = field(default_factory=dict)


# One tick's shared ledgers per database (a new `now` starts afresh: the memory is a tick's).
_shared: WeakKeyDictionary[Any, _Tick] = WeakKeyDictionary()
STAGED = "hourglass_staged_ledgers"  # Session.info: derived here, shared when it commits


def _shared_ledger(
    db: Session,
    policy: Policy,
    customer: Customer,
    now: datetime,
    as_of: date,
    cut: date,
    version: int | None,
) -> Ledger | None:
    with _kept_lock:
        tick = _shared.get(db.get_bind().engine)
        entry = tick.ledgers.get((customer.id, as_of, cut)) if tick and tick.now == now else None
    if (
        entry is None
        or version is None
        or entry.version != version
        or entry.created_at != customer.created_at
        or entry.policy is not policy
    ):
        return None
    return replace(entry.ledger, customer=customer)  # this session's customer, not the other's


def _stage(
    db: Session,
    policy: Policy,
    now: datetime,
    versions: Mapping[int, int],
    ledgers: Iterable[Ledger],
) -> None:
    """Share `ledgers` (derived after `versions` was read) when this transaction commits."""
    engine = db.get_bind().engine
    staged = db.info.setdefault(STAGED, [])
    for ledger in ledgers:
        customer = ledger.customer
        version = versions.get(customer.id)
        if version is not None:
            entry = _Shared(version, customer.created_at, policy, ledger)
            staged.append((engine, now, (customer.id, ledger.as_of, ledger.since), entry))


def share_unchanged(db: Session, policy: Policy, now: datetime, ledgers: Iterable[Ledger]) -> None:
    """Share `ledgers`, derived in this transaction, again after its own writes that change
    nothing a ledger reads but bump the version (`block_expired` recording forfeits, one
    column of the block rows): the next rule of the tick then finds them. Only for customers
    this transaction has locked since before their ledgers were derived (no one else wrote
    meanwhile); call it right after those writes, so any later one makes them unreachable."""
    locked = db.info.get(LOCKED_CUSTOMERS, set())
    mine = [ledger for ledger in ledgers if ledger.customer.id in locked]
    if mine:
        versions = Customers.balance_versions(db, (ledger.customer.id for ledger in mine))
        _stage(db, policy, now, versions, mine)


@event.listens_for(Session, "after_commit")
def _share_staged(session: Session) -> None:
    staged = session.info.pop(STAGED, None)
    if not staged:
        return
    with _kept_lock:
        for engine, now, key, entry in staged:
            tick = _shared.get(engine)
            if tick is None or tick.now != now:
                tick = _shared[engine] = _Tick(now)
            if len(tick.ledgers) >= KEEP_AT_MOST:
                tick.ledgers.clear()
            tick.ledgers[key] = entry


@event.listens_for(Session, "after_soft_rollback")
def _drop_staged(session: Session, _previous: Any) -> None:
    # Any rollback, a savepoint's too: what was derived may have read writes now undone.
    session.info.pop(STAGED, None)
