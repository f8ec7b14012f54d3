"""The clock's block rules share one tick's ledgers (issue 11, bench/sweep.py): a ledger that
`ledgers_for` derived in a transaction that committed is taken by the next rule of the same
tick while the customer's `balance_version` is unchanged, and is always what that rule would
have derived itself. On SQLite and Postgres."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.billing.blocks import trailing_weeks_start
from bot.billing.expiry import sweep_block_expired, sweep_block_expiring
from bot.billing.ledger import ledger_for, ledgers_for
from bot.insights.alerts import sweep_forfeit_risk
from bot.policy.model import provider_today
from store.models import Customer
from tests import factories
from tests.bot.billing.test_sweep_batch import _log, mixed
from tests.statements import counting

NAMES = ["acme", "globex", "initech"]


def _customers(db):
    return list(db.scalars(select(Customer).order_by(Customer.id)))


def _since(policy, now) -> date:
    return trailing_weeks_start(provider_today(policy, now))


def _own(db, policy, now, customers) -> dict:
    """What each customer's ledger is, derived alone in this session."""
    since = _since(policy, now)
    return {c.id: ledger_for(db, policy, c, now, since=since) for c in customers}


def _derive(database, policy, now) -> None:
    """A rule's derivation, committed."""
    with database.session() as db:
        ledgers_for(db, policy, _customers(db), now, since=_since(policy, now))


def _reads(database, policy, now, since) -> list[str]:
    """The statements of the next rule's `ledgers_for` (1: the versions, all taken shared)."""
    with database.session() as db:
        customers = _customers(db)
        with counting(database.engine) as seen:
            ledgers_for(db, policy, customers, now, since=since)
    return seen


def test_a_committed_rules_ledgers_are_taken_by_the_next(database, policy, clock):
    now = clock.now()
    mixed(database, policy, now, NAMES)
    _derive(database, policy, now)
    with database.session() as db:
        customers = _customers(db)
        with counting(database.engine) as seen:
            shared = ledgers_for(db, policy, customers, now, since=_since(policy, now))
        assert len(seen) == 1, seen  # the versions, nothing a ledger is derived from
        assert shared == _own(db, policy, now, customers)
        assert all(shared[c.id].customer is c for c in customers)  # this session's rows


@pytest.mark.parametrize("write", ["a back-dated entry", "a new block", "a voided block"])
def test_a_write_to_what_a_ledger_reads_is_derived_again(database, policy, clock, write):
    now = clock.now()
    mixed(database, policy, now, NAMES)
    _derive(database, policy, now)
    with database.session() as db:
        acme = db.scalars(select(Customer).where(Customer.name == "acme")).one()
        if write == "a back-dated entry":
            _log(db, policy, "acme", 120, date(2026, 10, 2), now)
        elif write == "a new block":
            factories.hour_block(db, policy, acme, hours=4, now=now, purchased=date(2026, 9, 1))
        else:
            block = acme.blocks[-1]
            block.voided_at, block.voided_by = now, "U1"
    with database.session() as db:
        customers = _customers(db)
        with counting(database.engine) as seen:
            shared = ledgers_for(db, policy, customers, now, since=_since(policy, now))
        assert len(seen) > 1  # acme's derived again
        assert shared == _own(db, policy, now, customers)


def test_what_a_rolled_back_transaction_derived_is_not_shared(database, policy, clock):
    now = clock.now()
    mixed(database, policy, now, NAMES)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), database.session() as db:
        ledgers_for(db, policy, _customers(db), now, since=_since(policy, now))
        raise Undo
    assert len(_reads(database, policy, now, _since(policy, now))) > 1
    # Nor what a savepoint rolled back derived, though its transaction commits.
    later = now + timedelta(minutes=1)
    with database.session() as db, pytest.raises(Undo), db.begin_nested():
        ledgers_for(db, policy, _customers(db), later, since=_since(policy, now))
        raise Undo
    assert len(_reads(database, policy, later, _since(policy, now))) > 1


def test_a_session_sees_its_own_writes_not_the_shared_ledger(database, policy, clock):
    """Its identity map's version predates its own writes; the database's does not."""
    now = clock.now()
    mixed(database, policy, now, NAMES)
    _derive(database, policy, now)
    with database.session() as db:
        customers = _customers(db)
        acme = customers[0]
        factories.hour_block(db, policy, acme, hours=4, now=now, purchased=date(2026, 11, 1))
        _log(db, policy, "globex", 45, date(2026, 11, 3), now)
        mine = ledgers_for(db, policy, customers, now, since=_since(policy, now))
        assert mine == _own(db, policy, now, customers)
        assert len(mine[acme.id].allocation.blocks) == len(acme.blocks)


def test_another_tick_policy_or_cut_derives_again(database, policy, clock):
    now = clock.now()
    mixed(database, policy, now, NAMES)
    _derive(database, policy, now)
    since = _since(policy, now)
    assert len(_reads(database, policy, now, None)) > 1  # another cut: this month's
    assert len(_reads(database, policy, now, since)) == 1  # the first one's still shared
    assert len(_reads(database, replace(policy), now, since)) > 1  # another policy
    assert len(_reads(database, policy, now + timedelta(minutes=1), since)) > 1  # tick


def test_a_ticks_three_block_rules_derive_the_ledgers_once(database, policy, clock):
    """block_expiring derives them, block_expired takes them and shares them again past the
    forfeits it records (which bump the versions, and change nothing a ledger reads), and
    forfeit_risk takes them; each equal to the customer's own ledger."""
    now = clock.now()
    mixed(database, policy, now, NAMES)
    with database.session() as db:
        assert sweep_block_expiring(db, policy, now) > 0
    with database.session() as db, counting(database.engine) as seen:
        assert sweep_block_expired(db, policy, now) > 0
    assert not [s for s in seen if "FROM time_entries" in s or "FROM bookings" in s], seen
    with database.session() as db:
        customers = _customers(db)
        with counting(database.engine) as seen:
            shared = ledgers_for(db, policy, customers, now, since=_since(policy, now))
        assert len(seen) == 1, seen
        assert shared == _own(db, policy, now, customers)
        sweep_forfeit_risk(db, policy, now)  # and the rule itself runs on them
