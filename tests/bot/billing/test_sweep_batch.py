"""The block sweeps read their batch's ledgers at once and raise its alerts in one INSERT
(issue 11, bench/sweep.py): the same ledgers as `ledger_for`, the same alerts and forfeits as
the one-block-at-a-time path they replace, and statements that do not grow with the number of
due blocks. On SQLite and Postgres."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.outbox import raise_alert
from bot.billing import timelog
from bot.billing.blocks import block_expiry_warnings, expiry_alert_key
from bot.billing.drawdown import expired_text, forfeit_state, raise_low_balance_alert
from bot.billing.expiry import _expiring_text, sweep_block_expired, sweep_block_expiring
from bot.billing.hours import block_terms
from bot.billing.ledger import ledger_for, ledgers_for
from bot.billing.rounding import SupportKind
from bot.policy.model import Policy, provider_today
from store.db import Database
from store.models import Alert, Customer, HourBlock
from store.repositories.core import Alerts, HourBlocks, lock_customers
from store.repositories.time import BlockExpiries
from tests import factories
from tests.harness import AGENT
from tests.statements import counting

# Statements of both block rules for one batch, however many blocks are due. block_expiring:
# the blocks in the window, the warnings sent, the customers, their ledgers (blocks,
# bookings, late moves, ledger changes, logged time: twice when some states are kept and
# some rebuilt), one INSERT; block_expired: the expired blocks, the customers' lock, the
# customers, their blocks, their ledgers (as above), the forfeits (one executemany UPDATE
# per set of changed columns), one INSERT and the block_low alerts.
BATCH = 24


def _log(db: Session, policy: Policy, name: str, minutes: int, day: date, now: datetime) -> None:
    request = timelog.LogRequest(minutes, name, SupportKind.ONE_ON_ONE, None, day, None)
    timelog.log_time(db, policy, request, agent_id=AGENT, now=now)


def mixed(database: Database, policy: Policy, now: datetime, names: list[str]) -> None:
    """Per customer, a mix of due items (today is 2026-11-20): a block whose 7-day warning is
    due with some hours used, one expiring tomorrow used up (no warning: nothing to lose),
    two expired unrecorded (one partly used, one not), time logged over three months, and
    for every other customer a fresh block (the others end low on hours)."""
    added = now - timedelta(days=200)
    with database.session() as db:
        for n, name in enumerate(names):
            customer = factories.customer(db, policy, name, now=now, added=added,
                                          team=f"C{name.upper()}T")  # fmt: skip
            bought = [(3, date(2026, 8, 27)), (1, date(2026, 8, 23)), (2, date(2026, 8, 1)),
                      (2, date(2026, 8, 3))] + ([] if n % 2 else [(1 + n, date(2026, 11, 2))])  # fmt: skip
            newest = [
                factories.hour_block(db, policy, customer, hours=hours, now=now, purchased=day)
                for hours, day in bought
            ][-1]
            # block_low as an earlier check left it: withdrawn (revived if low again), raised
            # (withdrawn if not), or none (raised if low).
            state = {1: "withdrawn", 2: "raised"}.get(n % 4)
            if state is not None:
                db.add(Alert(key=f"block_low:{customer.id}:{newest.id}", kind="block_low",
                             customer_id=customer.id, channel=f"C{name.upper()}T",
                             state=state, text="low", version=1, delivered_version=1,
                             attempts=0, created_at=added, updated_at=added))  # fmt: skip
    with database.session() as db:
        for n, name in enumerate(names):
            _log(db, policy, name, 60 + 15 * n, date(2026, 9, 10), now)  # block 3 (Aug 1)
            _log(db, policy, name, 60, date(2026, 10, 20), now)
            _log(db, policy, name, 90, date(2026, 11, 18), now)  # the Aug 23 block first
            if n:
                _log(db, policy, name, 30 * n, date(2026, 11, 19), now)


def per_item(db: Session, policy: Policy, now: datetime) -> int:
    """The block rules as they were before the batch (issue 11): a ledger and an INSERT a
    block, block_low checked after each expired block; the reference the batch must equal."""
    today = provider_today(policy, now)
    days_before = policy.billing.block_expiry_warning_days
    raised = 0
    for block in HourBlocks.expiring_between(db, today, today + timedelta(days=max(days_before))):
        reached = block_expiry_warnings(block_terms(block), today, days_before)
        if not reached or Alerts.by_key(db, expiry_alert_key(str(block.id), reached[-1])):
            continue
        customer = db.get(Customer, block.customer_id)
        assert customer is not None
        statement = ledger_for(db, policy, customer, now, as_of=today).allocation.statement_for(
            str(block.id)
        )
        if statement.remaining_minutes:
            raised += raise_alert(
                db, policy, key=expiry_alert_key(str(block.id), reached[-1]),
                kind="block_expiring", customer=customer, now=now,
                text=_expiring_text(customer, block, statement, (block.expires - today).days),
                data={"block_id": block.id, "days_before": reached[-1]},
            )  # fmt: skip
    blocks = BlockExpiries.unrecorded_expired(db, today, 200)
    lock_customers(db, (block.customer_id for block in blocks))
    for block in blocks:
        customer = db.get(Customer, block.customer_id)
        assert customer is not None
        ledger = ledger_for(db, policy, customer, now, as_of=today)
        statement = ledger.allocation.statement_for(str(block.id))
        BlockExpiries.record(db, block, statement.forfeited_minutes, now)
        raised += raise_alert(
            db, policy, key=f"block_expired:{block.id}", kind="block_expired",
            customer=customer, text=expired_text(customer, block, statement), now=now,
            state=forfeit_state(statement.forfeited_minutes),
            data={"block_id": block.id, "forfeited_minutes": statement.forfeited_minutes},
        )  # fmt: skip
        raised += raise_low_balance_alert(
            db, policy, customer, ledger, now, blocks=HourBlocks.for_customer(db, customer.id)
        )
    return raised


def batched(db: Session, policy: Policy, now: datetime) -> int:
    return sweep_block_expiring(db, policy, now) + sweep_block_expired(db, policy, now)


class _Undo(Exception):
    pass


def outcome(database: Database, policy: Policy, now: datetime, sweep) -> tuple[int, Any, Any]:
    """What `sweep` raised and recorded, rolled back after: (count, alerts, forfeits)."""
    found: list[Any] = []
    with pytest.raises(_Undo), database.session() as db:
        count = sweep(db, policy, now)
        db.flush()
        alerts = [
            (
                a.key,
                a.kind,
                a.customer_id,
                a.channel,
                a.audience,
                a.state,
                a.text,
                a.data,
                a.version,
                a.next_attempt_at,
            )  # fmt: skip
            for a in db.scalars(select(Alert).order_by(Alert.key))
        ]
        blocks = [
            (b.id, b.forfeited_minutes, b.expired_recorded_at)
            for b in db.scalars(select(HourBlock).order_by(HourBlock.id))
        ]
        found.extend([count, alerts, blocks])
        raise _Undo
    return found[0], found[1], found[2]


def test_the_batch_raises_and_records_what_one_block_at_a_time_did(database, policy, clock):
    now = clock.now()
    mixed(database, policy, now, ["acme", "globex", "initech", "umbrella"])
    one_by_one = outcome(database, policy, now, per_item)
    assert one_by_one[0] >= 8  # warnings and expiries were due: the comparison means something
    assert outcome(database, policy, now, batched) == one_by_one
    # Again with the ledgers' kept states cold for the batch: another process's first sweep.
    later = now + timedelta(days=11)  # December: a cut no ledger has kept yet
    assert outcome(database, policy, later, batched) == outcome(database, policy, later, per_item)


def test_the_batch_ledgers_equal_each_customers_own(database, policy, clock):
    now = clock.now()
    names = ["acme", "globex", "initech"]
    mixed(database, policy, now, names)
    with database.session() as db:
        customers = list(db.scalars(select(Customer).order_by(Customer.id)))
        for as_of, since in ((date(2026, 11, 20), None), (date(2026, 11, 20), date(2026, 9, 2)),
                             (date(2026, 10, 31), None), (date(2027, 1, 5), None)):  # fmt: skip
            # Cold for the batch, then kept: both must equal the customer-at-a-time ledger.
            for _ in range(2):
                batch = ledgers_for(db, policy, customers, now, as_of=as_of, since=since)
                assert batch == {
                    c.id: ledger_for(db, policy, c, now, as_of=as_of, since=since)
                    for c in customers
                }


def test_the_block_sweeps_statements_do_not_grow_with_the_due_blocks(database, policy, clock):
    now = clock.now()
    mixed(database, policy, now, ["acme", "globex"])
    with counting(database.engine) as few, database.session() as db:
        assert batched(db, policy, now) > 0
    with database.session() as db:  # the same again, for three times the customers
        for alert in db.scalars(select(Alert).where(Alert.kind != "block_low")):
            db.delete(alert)
        for block in db.scalars(select(HourBlock)):
            block.expired_recorded_at = None
    mixed(database, policy, now, ["initech", "umbrella", "hooli", "stark"])
    with counting(database.engine) as many, database.session() as db:
        assert batched(db, policy, now) > 0
    assert len(few) <= BATCH and len(many) <= BATCH, "\n".join(many)
