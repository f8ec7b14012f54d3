"""The incremental ledger (a carried state kept per process, issue 11) equals the full
derivation over random histories: blocks bought and expiring at random, charges on random
days, back-dated additions, undos and edits, with reads in between that keep states. So do
the months' draws kept with it (what the adjustments of a statement read)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import bot.features  # noqa: F401  (registers the charge sources)
from bot.billing.blocks import Charge, HourBlock, allocate, carry_to
from bot.billing.ledger import MonthDraw, full_ledger, ledger_for, month_draws
from bot.policy.loader import load_policy
from store.models import HourBlock as HourBlockRow
from store.models import TimeEntry
from tests import factories

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
START = TODAY - timedelta(days=240)
POLICY = load_policy(None)
_names = itertools.count()


# --- The fold itself: a carry then the rest equals everything at once -------------------------

day = st.integers(0, 240).map(lambda n: START + timedelta(days=n))
blocks = st.lists(st.tuples(day, st.integers(1, 120), st.integers(0, 600)), max_size=6).map(
    lambda rows: [
        HourBlock(str(i), m, bought, bought + timedelta(days=valid))
        for i, (bought, valid, m) in enumerate(rows)
    ]
)
charges = st.lists(
    st.builds(Charge, day, st.integers(1, 300), st.sampled_from(["day", "session:1"])),
    max_size=30,
)


@given(blocks, charges, day, day)
def test_allocating_from_a_carry_equals_allocating_everything(blocks, charges, cut, as_of):
    full = allocate(charges, blocks, as_of)
    later = [c for c in charges if c.work_date >= cut]
    resumed = allocate(later, blocks, as_of, carry_to(charges, blocks, cut))
    assert resumed.blocks == full.blocks
    assert resumed.overage_minutes == full.overage_minutes
    assert resumed.drawdowns == tuple(d for d in full.drawdowns if d.work_date >= cut)


# --- Through the database, with kept states and a change log ----------------------------------

add = st.tuples(st.just("add"), st.integers(0, 239), st.integers(1, 240))
undo = st.tuples(st.just("undo"), st.integers(0, 10_000), st.just(0))
edit = st.tuples(st.just("edit"), st.integers(0, 10_000), st.integers(0, 239))
read = st.tuples(st.just("read"), st.integers(0, 239), st.just(0))
buy = st.tuples(st.just("buy"), st.integers(0, 239), st.integers(1, 120))
# Log time near today and read in the same session (as /log does), then commit or roll back.
log = st.tuples(st.just("log"), st.integers(200, 239), st.integers(0, 1))
steps = st.lists(st.one_of(add, add, undo, edit, read, read, buy, log), min_size=1, max_size=25)


class _RolledBack(Exception):
    pass


def _apply(db, customer, step) -> None:
    kind, a, b = step
    entries = db.query(TimeEntry).filter_by(customer_id=customer.id).order_by(TimeEntry.id).all()
    if kind == "add":
        work_date = START + timedelta(days=a)
        db.add(
            TimeEntry(
                customer_id=customer.id,
                agent_id="U1",
                work_date=work_date,
                minutes=b,
                kind="one_on_one",
                created_at=NOW,
            )
        )
    elif kind == "undo" and entries:
        entries[a % len(entries)].undone_at = NOW
    elif kind == "edit" and entries:
        entries[a % len(entries)].work_date = START + timedelta(days=b)
    elif kind == "buy":
        bought = START + timedelta(days=a)
        db.add(
            HourBlockRow(
                customer_id=customer.id,
                minutes=b * 60,
                purchased=bought,
                expires=bought + timedelta(days=b),
                created_at=NOW,
                created_by="test",
            )
        )


def _same(db, customer, as_of: date, since: date) -> None:
    incremental = ledger_for(db, POLICY, customer, NOW, as_of=as_of, since=since)
    full = full_ledger(db, POLICY, customer, NOW, as_of=as_of)
    cut = incremental.since
    assert incremental.allocation.blocks == full.allocation.blocks
    assert incremental.allocation.overage_minutes == full.allocation.overage_minutes
    assert incremental.allocation.drawdowns == tuple(
        d for d in full.allocation.drawdowns if d.work_date >= cut
    )
    assert sorted(incremental.charges, key=repr) == sorted(
        (c for c in full.charges if c.work_date >= cut), key=repr
    )
    if cut > START.replace(day=1):  # the months before the cut, as the ledger holds them
        _same_months(db, customer, cut - timedelta(days=1), incremental)


def _month_end(day: date) -> date:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _same_months(db, customer, last: date, ledger=None) -> None:
    """Each month's draws up to `last`'s month (ended) equal the full derivation's; read
    from `ledger` (a `ledger_for` from the month after `last`) when given, as a statement's
    adjustments do."""
    last = _month_end(last)
    incremental = month_draws(db, POLICY, customer, NOW, START, last, ledger)
    full = full_ledger(db, POLICY, customer, NOW, as_of=last)
    expected = {}
    for month in incremental:
        in_month = [c for c in full.charges if c.work_date.replace(day=1) == month]
        overage = [
            (d.work_date, d.minutes)
            for d in full.allocation.drawdowns
            if d.block_id is None and d.work_date.replace(day=1) == month
        ]
        expected[month] = MonthDraw(sum(c.minutes for c in in_month), tuple(overage))
    assert incremental == expected
    assert min(incremental) == START.replace(day=1) and max(incremental) == last.replace(day=1)


def _ended(offset: int) -> date:
    """A month ended before today, picked by `offset`."""
    day = START + timedelta(days=offset % 240)
    return day if _month_end(day) < TODAY else TODAY.replace(day=1) - timedelta(days=1)


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
@example(
    steps=[("read", 230, 0), ("log", 230, 1), ("add", 10, 60)]
)  # a rolled-back /log, then a back-dated add
def test_the_kept_ledger_equals_the_full_derivation(database, steps):
    with database.session() as db:
        customer = factories.customer(
            db, POLICY, f"c{next(_names)}", now=NOW, added=NOW - timedelta(days=400)
        )
        customer_id = customer.id
    for step in steps:
        if step[0] == "log":
            try:
                with database.session() as db:
                    customer = db.get(type(customer), customer_id)
                    _apply(db, customer, ("add", step[1], 30))
                    db.flush()
                    ledger_for(db, POLICY, customer, NOW, since=START + timedelta(days=step[1]))
                    month_draws(
                        db, POLICY, customer, NOW, START, TODAY.replace(day=1) - timedelta(days=1)
                    )
                    if step[2]:
                        raise _RolledBack
            except _RolledBack:
                pass
        with database.session() as db:
            customer = db.get(type(customer), customer_id)
            if step[0] == "log":
                pass
            elif step[0] == "read":  # a read keeps states for later steps to reuse
                as_of = START + timedelta(days=step[1])
                ledger_for(db, POLICY, customer, NOW, as_of=as_of)
                month_draws(db, POLICY, customer, NOW, START, _month_end(_ended(step[1])))
            else:
                _apply(db, customer, step)
        with database.session() as db:
            customer = db.get(type(customer), customer_id)
            for as_of in (TODAY, START + timedelta(days=step[1] % 240)):
                for since in (as_of, START + timedelta(days=step[1] // 2)):
                    _same(db, customer, as_of, since)
            for last in (_ended(step[1]), _ended(0), TODAY.replace(day=1) - timedelta(days=1)):
                _same_months(db, customer, last)
