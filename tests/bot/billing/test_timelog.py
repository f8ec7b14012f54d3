"""bot.timelog: the /log grammar, and billing properties checked against a real database."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.billing import timelog
from bot.billing.rounding import SupportKind
from bot.parsing import InputError
from bot.policy.loader import load_policy
from bot.reports.statement import build_statement
from tests import factories
from tests.concurrency import wait_until_blocked

POLICY = load_policy(None)
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def parse(text: str) -> timelog.LogRequest:
    return timelog.parse_log(text.split(), POLICY, TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m acme", (30, "acme", SupportKind.ONE_ON_ONE, None, TODAY, None)),
        ("1:30 acme general", (90, "acme", SupportKind.GENERAL, None, TODAY, None)),
        ("1.5h acme 1-on-1 setup", (90, "acme", SupportKind.ONE_ON_ONE, "setup", TODAY, None)),
        (
            "1h30m acme status-call on yesterday weekly sync",
            (90, "acme", SupportKind.ONE_ON_ONE, "status-call", date(2026, 11, 19), "weekly sync"),
        ),
        (
            "90m acme on the phone with jane",
            (90, "acme", SupportKind.ONE_ON_ONE, None, TODAY, "on the phone with jane"),
        ),
        (
            "20m acme setup general on 2026-11-01",
            (20, "acme", SupportKind.ONE_ON_ONE, "setup", TODAY, "general on 2026-11-01"),
        ),
        (
            "20m acme generally ok",
            (20, "acme", SupportKind.ONE_ON_ONE, None, TODAY, "generally ok"),
        ),
    ],
)
def test_grammar(text, expected):
    request = parse(text)
    assert (
        request.minutes,
        request.customer,
        request.kind,
        request.activity,
        request.work_date,
        request.note,
    ) == expected


@pytest.mark.parametrize(
    "text",
    ["30m", "30m acme genral", "30m acme 1on2", "0m acme", "12h1m acme", "30m acme on tomorrow"],
)
def test_grammar_refusals(text):
    with pytest.raises(InputError):
        parse(text)


def test_future_days_allows_logging_ahead():
    from dataclasses import replace

    policy = replace(POLICY, billing=replace(POLICY.billing, future_days=1))
    assert timelog.parse_log(["30m", "acme", "on", "tomorrow"], policy, TODAY).work_date == date(
        2026, 11, 21
    )


# --- Properties against a real database -----------------------------------------------------

_names = itertools.count()

entries_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60),  # days before today
        st.integers(min_value=1, max_value=200),  # minutes
        st.sampled_from([SupportKind.ONE_ON_ONE, SupportKind.ONE_ON_ONE, SupportKind.GENERAL]),
    ),
    min_size=1,
    max_size=12,
)
blocks_strategy = st.lists(
    st.tuples(st.integers(min_value=0, max_value=120), st.integers(min_value=1, max_value=6)),
    max_size=3,
)


def _record(db, customer_name, blocks, entries):
    customer = factories.customer(db, POLICY, customer_name, now=NOW)
    for days_ago, hours in blocks:
        purchased = TODAY - timedelta(days=days_ago)
        factories.hour_block(db, POLICY, customer, hours=hours, purchased=purchased, now=NOW)
    for days_ago, minutes, kind in entries:
        request = timelog.LogRequest(
            minutes, customer_name, kind, None, TODAY - timedelta(days=days_ago), None
        )
        # One agent per customer: examples share the database, and one person's day is
        # capped at 24 hours.
        timelog.log_time(db, POLICY, request, agent_id=f"U{customer_name.upper()}", now=NOW)
    return customer


def _comparable(statement):
    return {
        **{k: v for k, v in statement.items() if k != "customer"},
        "blocks": [{k: v for k, v in b.items() if k != "id"} for b in statement["blocks"]],
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entries=entries_strategy, blocks=blocks_strategy, data=st.data())
def test_recording_order_never_changes_the_statement(database, entries, blocks, data):
    shuffled = data.draw(st.permutations(entries))
    n = next(_names)
    with database.session() as db:
        first = _record(db, f"first{n}", blocks, entries)
        second = _record(db, f"second{n}", blocks, shuffled)
        statements = [
            build_statement(db, POLICY, c, year, month, NOW)
            for c in (first, second)
            for year, month in ((2026, 9), (2026, 10), (2026, 11))
        ]
    assert [_comparable(s) for s in statements[:3]] == [_comparable(s) for s in statements[3:]]

    increment = POLICY.billing.rounding.increment_minutes
    for statement in statements[:3]:
        for day in statement["days"]:
            assert 0 <= day["billed_minutes"] - day["logged_minutes"] < increment
        assert statement["billed_minutes"] == sum(d["billed_minutes"] for d in statement["days"])
    for block in statements[2]["blocks"]:
        assert block["remaining_minutes"] >= 0 and block["forfeited_minutes"] >= 0
        assert (
            block["used_minutes"] + block["remaining_minutes"] + block["forfeited_minutes"]
            == block["hours"] * 60
        )
    # Everything billed is drawn from a block or is overage.
    billed = sum(s["billed_minutes"] for s in statements[:3])
    used = sum(b["used_minutes"] for b in statements[2]["blocks"])
    overage = sum(s["overage_minutes"] for s in statements[:3])
    assert used + overage == billed


@pytest.mark.slow  # issue 18's proof: transactions at once
def test_a_log_for_another_customer_waits_for_the_agents_day_and_is_refused(database, clock):
    """The day cap is the agent's: a /log for globex waits for an uncommitted /log for acme
    on the same day (not only for globex's lock), then sees it and refuses."""
    policy = load_policy()
    with database.session() as db:
        for name in ("acme", "globex"):
            factories.customer(db, policy, name, now=clock.now())
    day = date(2026, 11, 19)
    first = timelog.LogRequest(12 * 60, "acme", SupportKind.ONE_ON_ONE, None, day, None)
    second = timelog.LogRequest(11 * 60, "globex", SupportKind.GENERAL, None, day, None)
    with database.session() as db:  # 2h already logged that day
        timelog.log_time(db, policy, replace(first, minutes=120), agent_id="U1", now=clock.now())
    outcome: list[object] = []

    def log_second() -> None:
        try:
            with database.session() as db:
                timelog.log_time(db, policy, second, agent_id="U1", now=clock.now())
            outcome.append("logged")
        except InputError as exc:
            outcome.append(str(exc))

    other = threading.Thread(target=log_second, daemon=True)
    with database.session() as db:
        timelog.log_time(db, policy, first, agent_id="U1", now=clock.now())
        other.start()
        wait_until_blocked(database)
    other.join(30)
    assert outcome == ["that would make 25h logged by you on Thu 19 Nov, more than a day has"], (
        outcome
    )
