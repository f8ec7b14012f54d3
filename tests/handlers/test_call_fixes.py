"""Regression tests for the call-timer and /call fixes: dates in the provider's month, old
dates refused, timers past the longest call, notes with `=`. Over signed HTTP, both
databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.customers import get_customer
from bot.statement import build_statement
from store.models import Alert, PhoneCall
from tests.harness import AGENT, MANAGER


def count(database, model) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def calls_rows(slack, month):
    with slack.database.session() as db:
        return build_statement(
            db, slack.policy, get_customer(db, "acme"), *month, slack.clock.now()
        )["calls"]


@pytest.fixture
def acme(slack):
    reply = slack.command(
        "/hourglass customer add acme plan=professional channel=<#CACME|acme>", MANAGER
    )
    assert "Added customer *acme*" in reply.text
    return slack


# --- an explicit `on <date>` counts in the provider's month of that date ---------------------


def test_call_on_today_just_after_midnight_counts_in_the_new_month(acme):
    slack = acme
    slack.clock.set(datetime(2026, 11, 1, 0, 30, tzinfo=UTC))  # 00:30 Sun 1 Nov in London
    reply = slack.command("/call 2h acme jane on today")
    assert "recorded on Sun 1 Nov" in reply.text
    assert "jane: 120m 00s this month (2026-11)" in reply.text
    assert calls_rows(slack, (2026, 10)) == []
    assert calls_rows(slack, (2026, 11))[0]["seconds"] == 7200


def test_call_dated_by_an_agent_ahead_of_the_provider_counts_in_that_date(acme):
    slack = acme
    slack.standin.add_user(AGENT, "alex", "Pacific/Auckland")
    # 12:00 Sun 1 Nov in Auckland is 23:00 Sat 31 Oct in London
    slack.clock.set(datetime(2026, 10, 31, 23, 0, tzinfo=UTC))
    reply = slack.command("/call 10m acme jane on 2026-11-01")
    assert "recorded on Sun 1 Nov" in reply.text
    assert "this month (2026-11)" in reply.text
    assert calls_rows(slack, (2026, 10)) == []
    assert calls_rows(slack, (2026, 11))[0]["seconds"] == 600
    # an earlier date is placed at noon in the provider's timezone, in that date's month
    reply = slack.command("/call 5m acme jane on 2026-10-01")
    assert "recorded on Thu 1 Oct" in reply.text and "this month (2026-10)" in reply.text
    with slack.database.session() as db:
        starts = sorted(db.scalars(select(PhoneCall.started_at)))
    assert starts[0] == datetime(2026, 10, 1, 11, 0, tzinfo=UTC)  # 12:00 BST


def test_call_without_on_still_ends_now(acme):
    slack = acme
    slack.clock.set(datetime(2026, 11, 1, 0, 30, tzinfo=UTC))
    reply = slack.command("/call 2h acme jane")
    assert "this month (2026-10)" in reply.text
    with slack.database.session() as db:
        assert db.scalar(select(PhoneCall.started_at)) == datetime(2026, 10, 31, 22, 30, tzinfo=UTC)


# --- dates more than a year back are refused --------------------------------------------------


@pytest.mark.parametrize("day", ["2019-01-05", "2025-11-18"])
def test_call_dated_more_than_366_days_back_is_refused(acme, day):
    slack = acme
    reply = slack.command(f"/call 50m acme jane on {day}")
    assert reply.text.startswith(":warning:") and "366 days" in reply.text, reply.text
    assert "Usage: `/call <duration>" in reply.text
    slack.sweep()
    assert count(slack.database, PhoneCall) == 0 and count(slack.database, Alert) == 0
    assert slack.standin.posted("CACME") == []


def test_call_dated_366_days_back_is_recorded(acme):
    slack = acme
    reply = slack.command("/call 10m acme jane on 2025-11-19")  # today is 2026-11-20
    assert "recorded on Wed 19 Nov" in reply.text
    assert count(slack.database, PhoneCall) == 1
