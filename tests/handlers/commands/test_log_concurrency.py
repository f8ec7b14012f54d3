"""Two requests at once: nothing lost, nothing doubled (SQLite and Postgres)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func, select, text, update

from store.models import Alert, Customer, TimeEntry
from store.repositories.time import BlockExpiries
from tests.harness import AGENT, MANAGER


def _at_once(slack, lines, user=AGENT):
    with ThreadPoolExecutor(len(lines)) as pool:
        return list(pool.map(lambda line: slack.command(line, user), lines))


def test_simultaneous_logs_are_all_kept_and_block_low_is_raised_once(slack, standin):
    slack.command(
        "/hourglass customer add acme plan=professional channel=<#CACME|acme> team=<#CACMETEAM|t>",
        MANAGER,
    )
    slack.command("/hourglass hours add acme 3 purchased 2026-11-01", MANAGER)
    with slack.database.session() as db:  # a customer of long standing: days may be back-dated
        db.execute(update(Customer).values(created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    slack.command("/log 30m acme", AGENT)  # 2h 30m left
    # Four more 30-minute entries on other days, all at once: the balance falls to 30m.
    replies = _at_once(slack, [f"/log 30m acme on 2026-11-{d}" for d in (16, 17, 18, 19)])
    assert all("Logged 30m" in r.text for r in replies), [r.text for r in replies]
    with slack.database.session() as db:
        assert db.scalar(select(func.count()).select_from(TimeEntry)) == 5
        lows = list(db.scalars(select(Alert).where(Alert.kind == "block_low")))
    assert [a.key for a in lows] == ["block_low:1:1"]
    slack.sweep()
    assert len(standin.posted("CACMETEAM")) == 1  # low balance: the team's, not the customer's
    assert standin.posted("CACME") == []


def test_simultaneous_undos_take_back_different_entries(slack):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    for minutes in (10, 20, 30):
        slack.command(f"/log {minutes}m acme", AGENT)
    replies = _at_once(slack, ["/log undo", "/log undo"])
    undone = sorted(r.text.split("Undid ")[1].split(" ")[0] for r in replies if "Undid" in r.text)
    assert undone == ["20m", "30m"], [r.text for r in replies]
    with slack.database.session() as db:
        live = list(db.scalars(select(TimeEntry.minutes).where(TimeEntry.undone_at.is_(None))))
    assert live == [10]


def test_expired_sweep_reads_through_its_index(database):
    """The block_expired sweep's query is answered by ix_hour_blocks_expiry_unrecorded."""
    from datetime import date

    query = BlockExpiries.unrecorded_expired_query(date(2026, 11, 20), 200)
    sql = str(query.compile(database.engine, compile_kwargs={"literal_binds": True}))
    with database.session() as db:
        if database.dialect == "sqlite":
            plan = db.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        else:
            db.execute(text("SET LOCAL enable_seqscan = off"))
            plan = db.execute(text("EXPLAIN " + sql)).all()
    assert "ix_hour_blocks_expiry_unrecorded" in " ".join(str(row) for row in plan), plan
