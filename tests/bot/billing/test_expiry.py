"""The block_expired sweep against work logged at the same moment, and against another clock
(bot/billing/expiry.py), on SQLite and Postgres."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.billing import timelog
from bot.billing.expiry import sweep_block_expired
from bot.billing.rounding import SupportKind
from store.db import Database
from store.models import Alert, HourBlock
from tests import factories
from tests.concurrency import together, wait_until_blocked
from tests.harness import AGENT

pytestmark = pytest.mark.slow  # issue 18's proof: transactions at once


def expired_blocks(database: Database, policy, now, names: list[str]) -> None:
    """Per customer, a 2-hour block bought 2026-08-01: expired on 2026-10-30, unrecorded."""
    with database.session() as db:
        for name in names:
            customer = factories.customer(db, policy, name, now=now, team=f"C{name.upper()}T")
            factories.hour_block(db, policy, customer, hours=2, now=now, purchased=date(2026, 8, 1))


def test_work_logged_into_an_expired_block_while_the_sweep_runs_is_in_its_forfeit(
    database, policy, clock
):
    expired_blocks(database, policy, clock.now(), ["acme"])
    request = timelog.LogRequest(60, "acme", SupportKind.ONE_ON_ONE, None, date(2026, 10, 15), None)
    swept = threading.Thread(
        target=lambda: _sweep(database, policy, clock.now()), name="sweep", daemon=True
    )
    with database.session() as db:
        timelog.log_time(db, policy, request, agent_id=AGENT, now=clock.now())
        swept.start()  # the clock sweeps while the back-dated /log is still uncommitted
        wait_until_blocked(database)
    swept.join(30)
    with database.session() as db:
        block = db.scalar(select(HourBlock))
        assert (block.forfeited_minutes, block.expired_recorded_at) == (60, clock.now())
        alert = db.scalar(select(Alert).where(Alert.kind == "block_expired"))
        assert "1h used, 1h unused and forfeited" in alert.text, alert.text


def test_four_clocks_sweeping_expired_blocks_at_once_record_each_once(database, policy, clock):
    names = ["acme", "globex", "initech", "umbrella", "hooli", "stark"]
    expired_blocks(database, policy, clock.now(), names)
    results = together(*(lambda: _sweep(database, policy, clock.now()) for _ in range(4)))
    assert [r for r in results if isinstance(r, Exception)] == []  # no deadlock, nothing lost
    with database.session() as db:
        recorded = db.scalar(select(func.count()).where(HourBlock.expired_recorded_at.is_not(None)))
        kinds = list(db.scalars(select(Alert.kind).where(Alert.kind == "block_expired")))
    assert recorded == len(names) and len(kinds) == len(names)


def _sweep(database: Database, policy, now) -> None:
    with database.session() as db:
        sweep_block_expired(db, policy, now)
