"""The forecasts' sweep rules skip an idle sweep (bot/insights/alerts.py), on SQLite and
Postgres: with nothing new since the last run, a sweep is a few indexed reads, not a ledger
per customer; a write, or the next hour, makes the rule look again."""

from __future__ import annotations

from datetime import date, timedelta

import bot.features  # noqa: F401 - registers the charge sources the ledger reads
from bot.insights.alerts import sweep_forfeit_risk, sweep_sla_budget
from tests import factories
from tests.statements import counting

IDLE_STATEMENTS = 4  # the revision, the rule's mark (and, on SQLite, nothing else)


def test_an_idle_sweep_reads_only_the_revision_and_the_mark(database, policy, clock):
    now = clock.now()  # Fri 20 Nov 2026
    with database.session() as db:
        acme = factories.customer(db, policy, "acme", now=now, team="CACMETEAM")
        factories.hour_block(db, policy, acme, hours=10, now=now, purchased=date(2026, 9, 1))
    with database.session() as db:
        assert sweep_forfeit_risk(db, policy, now) == 1  # 10h to forfeit on 30 Nov
        sweep_sla_budget(db, policy, now)
    for rule in (sweep_forfeit_risk, sweep_sla_budget):
        with counting(database.engine) as seen, database.session() as db:
            assert rule(db, policy, now) == 0
        assert len(seen) <= IDLE_STATEMENTS, seen
    with database.session() as db:  # a new block moves the revision: the rule looks again
        factories.hour_block(db, policy, acme, hours=1, now=now, purchased=date(2026, 9, 2))
    with counting(database.engine) as seen, database.session() as db:
        sweep_forfeit_risk(db, policy, now)
    assert len(seen) > IDLE_STATEMENTS
    later = now + timedelta(hours=1)  # the next hour: time alone moves projections
    with counting(database.engine) as seen, database.session() as db:
        sweep_forfeit_risk(db, policy, later)
    assert len(seen) > IDLE_STATEMENTS
