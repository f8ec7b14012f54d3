"""The query budget (issue 11 item 2): each everyday slash command, served over signed HTTP
in the common path (a known user whose role and time zone are cached, a customer with a
block), costs at most six SQL statements, on SQLite and on Postgres. Counted on the app's
engine by tests/statements.py: the gate's replay check, the command's transaction and the
work after the ack."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.customers import get_customer
from tests import factories
from tests.harness import AGENT
from tests.statements import explain, statements_for

BUDGET = 6


def over(count: str) -> pytest.MarkDecorator:
    """A command still over budget (issue 11 item 2 is not done for it): what it costs now."""
    return pytest.mark.xfail(strict=True, reason=f"over budget: {count} statements today")


@pytest.fixture
def warm(acme):
    """acme with a 10 h block, and the agent known: their first command cached their
    profile, time zone and role, as on any day after their first."""
    with acme.database.session() as db:
        customer = get_customer(db, "acme")
        factories.hour_block(db, acme.policy, customer, hours=10, now=acme.clock.now())
    acme.command("/ticket list", AGENT)
    return acme


def within_budget(app, line: str) -> str:
    reply, statements = statements_for(app, line)
    assert len(statements) <= BUDGET, (
        f"{line!r} cost {len(statements)} statements (budget {BUDGET}):\n{explain(statements)}"
    )
    return reply.text


@over("384 (a month per open month since the customer was added)")
def test_balance(warm):
    assert "Remaining: *10h*" in within_budget(warm, "/balance acme")


@over("15 on SQLite, 17 on Postgres")
def test_log(warm):
    assert "Logged 30m" in within_budget(warm, "/log 30m acme")


def test_timer_start(warm):
    assert "Timer started" in within_budget(warm, "/timer start acme jane")


@over("17")
def test_timer_stop(warm):
    warm.command("/timer start acme jane", AGENT)
    warm.clock.advance(timedelta(minutes=5))
    assert "5m" in within_budget(warm, "/timer stop")


@over("8")
def test_ticket_open(warm):
    assert "Opened ticket" in within_budget(warm, "/ticket open acme low x")


def test_ticket_list(warm):
    warm.command("/ticket open acme low x", AGENT)
    assert "#1" in within_budget(warm, "/ticket list")
