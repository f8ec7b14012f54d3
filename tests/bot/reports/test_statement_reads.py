"""What a month's statement reads (issue 11, bench/history.py): the issued months before it
in one read, not one a month, and the months' draws from the statement's own ledger, not a
second look at the kept state. The figures are those of the separate reads; counted on both
databases (tests/statements.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import bot.features  # noqa: F401  (registers the charge sources)
from bot.billing.ledger import month_draws
from bot.reports import issued as issued_module
from bot.reports.issued import adjustments_into, issue, monthly_statement
from bot.reports.statement import statement_and_ledger
from store.models import Customer, IssuedStatement, TimeEntry
from store.repositories.statements import IssuedStatements
from tests import factories
from tests.statements import counting

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _log(db, customer: Customer, day: date, minutes: int) -> None:
    db.add(
        TimeEntry(
            customer_id=customer.id,
            agent_id="U1",
            work_date=day,
            minutes=minutes,
            kind="one_on_one",
            created_at=NOW,
        )
    )
    db.flush()


def _customer_with_issued_months(database, policy, name: str, months: int) -> int:
    """A customer with a 20 h block, an hour logged on the 3rd of each of the last `months`
    ended months, each of them issued; then a back-dated hour in the oldest, so the open
    month carries an adjustment."""
    with database.session() as db:
        customer = factories.customer(db, policy, name, now=NOW)
        first = date(2026, 11 - months, 1)
        factories.hour_block(db, policy, customer, hours=20, now=NOW, purchased=first)
        for n in range(months):
            _log(db, customer, date(2026, 11 - months + n, 3), 60)
        for n in range(months):
            issue(db, policy, customer, 2026, 11 - months + n, actor="test", now=NOW)
        _log(db, customer, first + timedelta(days=9), 60)
        return customer.id


def _reset_process_state() -> None:
    """As a new process: no issued JSON parsed yet (kept ledger states are per database)."""
    issued_module._parsed.clear()


def test_issued_statements_between_reads_a_run_of_months(database, policy):
    with database.session() as db:
        acme = factories.customer(db, policy, "acme", now=NOW)
        globex = factories.customer(db, policy, "globex", now=NOW)
        for customer in (acme, globex):
            for month in ("2026-01", "2026-02", "2026-03", "2026-04", "2025-12"):
                db.add(
                    IssuedStatement(
                        customer_id=customer.id,
                        month=month,
                        json="{}",
                        sha256="0" * 64,
                        issued_at=NOW,
                        issued_by="test",
                    )
                )
        db.flush()
        found = IssuedStatements.between(db, acme.id, "2026-02", "2026-04")
        assert [(r.customer_id, r.month) for r in found] == [
            (acme.id, "2026-02"),
            (acme.id, "2026-03"),
            (acme.id, "2026-04"),
        ]
        assert [r.month for r in IssuedStatements.between(db, globex.id, "2025-12", "2026-01")] == [
            "2025-12",
            "2026-01",
        ]
        assert IssuedStatements.between(db, acme.id, "2026-05", "2026-09") == []


def test_a_statement_reads_as_much_after_two_issued_months_as_after_eight(database, policy):
    counts = {}
    for months in (2, 8):
        customer_id = _customer_with_issued_months(database, policy, f"c{months}", months)
        _reset_process_state()
        with counting(database.engine) as seen, database.session() as db:
            customer = db.get(Customer, customer_id)
            report = monthly_statement(db, policy, customer, 2026, 11, NOW)
        assert [a["month"] for a in report.statement["adjustments"]] == [f"2026-{11 - months:02d}"]
        assert report.statement["adjustments"][0]["billed_minutes"] == 60
        counts[months] = len(seen)
        assert not [s for s in seen if "FROM issued_statements" in s and "month =" in s][1:], (
            "\n".join(seen)
        )
    assert counts[8] == counts[2]


def test_the_statements_ledger_gives_the_adjustments_the_separate_reads_give(database, policy):
    customer_id = _customer_with_issued_months(database, policy, "acme", 4)
    with database.session() as db:
        customer = db.get(Customer, customer_id)
        statement, ledger = statement_and_ledger(db, policy, customer, 2026, 11, NOW)
        last = date(2026, 10, 31)
        assert month_draws(db, policy, customer, NOW, date(2026, 7, 1), last, ledger) == (
            month_draws(db, policy, customer, NOW, date(2026, 7, 1), last)
        )
        shared = adjustments_into(db, policy, customer, 2026, 11, NOW, ledger)
        alone = adjustments_into(db, policy, customer, 2026, 11, NOW)
        assert shared == alone and len(shared) == 1
        # A ledger from another month holds other months: it is not used for these.
        _, october = statement_and_ledger(db, policy, customer, 2026, 10, NOW)
        assert month_draws(db, policy, customer, NOW, date(2026, 7, 1), last, october) == (
            month_draws(db, policy, customer, NOW, date(2026, 7, 1), last)
        )
        assert statement["billed_minutes"] == 0
