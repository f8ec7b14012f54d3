"""/balance tells the whole truth: money still to invoice in every open month (issue 19
item 8), not only this one."""

from __future__ import annotations

from datetime import timedelta

from bot.customers import get_customer
from bot.reports.balance import balance_for
from bot.reports.issued import monthly_statement
from tests.harness import AGENT, MANAGER


def test_balance_names_an_ended_month_that_was_never_issued(acme, clock):
    clock.advance(timedelta(days=15))  # Sat 5 Dec 2026: November has ended, not issued
    acme.command("/log 4h acme on 2026-11-25", AGENT)
    text = acme.command("/balance acme", AGENT).text
    assert "This month: 0m billed, 0m overage; 0.00 GBP to invoice" in text
    assert (
        ":receipt: Not yet invoiced: *360.00 GBP* in all — Nov 2026 360.00 GBP (ended, not "
        "issued: month still open) and this month so far." in text
    )


def test_the_total_adds_this_month_and_every_open_month(acme, clock):
    acme.command("/log 1h acme", AGENT)  # Nov 2026: 90.00
    clock.advance(timedelta(days=15))
    acme.command("/log 2h acme", AGENT)  # Dec 2026: 180.00
    text = acme.command("/balance acme", AGENT).text
    assert "This month: 2h billed, 2h overage; 180.00 GBP to invoice" in text
    assert "Not yet invoiced: *270.00 GBP* in all — Nov 2026 90.00 GBP" in text


def test_an_issued_month_is_invoiced_and_no_longer_listed(acme, clock):
    acme.command("/log 1h acme", AGENT)
    clock.advance(timedelta(days=15))
    acme.command("/hourglass report acme 2026-11 issue", MANAGER)
    text = acme.command("/balance acme", AGENT).text
    assert "Not yet invoiced" not in text
    assert "This month: 0m billed, 0m overage; 0.00 GBP to invoice" in text


def test_only_this_month_open_keeps_the_short_balance(acme):
    acme.command("/log 1h acme", AGENT)
    text = acme.command("/balance acme", AGENT).text
    assert "This month: 1h billed, 1h overage; 90.00 GBP to invoice" in text
    assert "Not yet invoiced" not in text


def test_each_open_months_amount_is_its_statements(acme, clock):
    """The balance reads every open month from one ledger; each amount must be what that
    month's own statement says, adjustments for issued months before it included."""
    acme.command("/log 2h acme on 2026-09-10", AGENT)
    acme.command("/log 1h acme on 2026-10-15", AGENT)
    acme.command("/hourglass report acme 2026-09 issue", MANAGER)
    acme.command("/log 1h acme on 2026-09-11", AGENT)  # September changed after it was issued
    acme.command("/log 30m acme on 2026-08-03", AGENT)  # August: open, never issued
    with acme.database.session() as db:
        customer = get_customer(db, "acme")
        summary = balance_for(db, acme.policy, customer, clock.now())
        expected = {
            (m.year, m.month): monthly_statement(
                db, acme.policy, customer, m.year, m.month, clock.now()
            ).statement["amount"]
            for m in summary.open_months
        }
    got = {(m.year, m.month): f"{m.amount:.2f}" for m in summary.open_months}
    assert got == expected
    assert got[(2026, 10)] == "180.00"  # October's 90.00 and September's 90.00 carried in
    assert got[(2026, 8)] == "45.00" and (2026, 9) not in got
