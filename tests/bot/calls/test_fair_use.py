"""Seed 000's fair-use numbers, as pure arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calls.fair_use import (
    CallRecord,
    Limits,
    Status,
    caller_months,
    format_call_time,
    is_long_call,
    month_of,
    status_for,
)
from bot.policy.loader import load_policy

LONDON = ZoneInfo("Europe/London")
SEED_LIMITS = Limits.from_policy(load_policy(None).fair_use)


def test_default_policy_is_seed_000():
    limits = SEED_LIMITS
    assert (limits.long_call, limits.allowance, limits.review) == (900, 2700, 3600)


def test_seed_example_16_14_14_2_15_is_61_minutes_review_one_long_call():
    calls = [CallRecord("jane", m * 60) for m in (16, 14, 14, 2, 15)]
    (jane,) = caller_months(calls, SEED_LIMITS)
    assert (jane.calls, jane.seconds, jane.long_calls, jane.status) == (
        5,
        3660,
        1,
        Status.REVIEW,
    )
    assert format_call_time(jane.seconds) == "1h 1m"


@pytest.mark.parametrize(
    ("seconds", "status"),
    [
        (0, Status.WITHIN),
        (45 * 60, Status.WITHIN),  # exactly the allowance is within it
        (45 * 60 + 1, Status.OVER_ALLOWANCE),  # to the second
        (60 * 60, Status.OVER_ALLOWANCE),
        (60 * 60 + 1, Status.REVIEW),
    ],
)
def test_limits_are_strict_and_to_the_second(seconds, status):
    assert status_for(seconds, SEED_LIMITS) is status


def test_long_call_is_over_15_minutes():
    assert not is_long_call(15 * 60, SEED_LIMITS)
    assert is_long_call(15 * 60 + 1, SEED_LIMITS)


def test_account_limits_multiply_by_seats():
    account = SEED_LIMITS.for_account(3)
    assert (account.allowance, account.review, account.long_call) == (135 * 60, 180 * 60, 900)
    assert status_for(61 * 60, SEED_LIMITS.for_account(2)) is Status.WITHIN
    assert status_for(91 * 60, SEED_LIMITS.for_account(2)) is Status.OVER_ALLOWANCE
    with pytest.raises(ValueError):
        SEED_LIMITS.for_account(0)


def test_month_is_read_in_the_providers_timezone():
    # BST: 23:30 UTC on 31 March is 00:30 on 1 April in London
    assert month_of(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), LONDON) == (2026, 4)
    # GMT: 23:30 UTC on 31 October is still 31 October in London
    assert month_of(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), LONDON) == (2026, 10)
    assert month_of(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), ZoneInfo("Asia/Tokyo")) == (
        2026,
        11,
    )
    with pytest.raises(ValueError):
        month_of(datetime(2026, 10, 31, 23, 30), LONDON)


def test_average_quality_ignores_unscored_calls():
    (row,) = caller_months(
        [CallRecord("jane", 60, 4), CallRecord("jane", 60, None), CallRecord("jane", 60, 5)],
        SEED_LIMITS,
    )
    assert row.avg_quality == 4.5
    (row,) = caller_months([CallRecord("bob", 60)], SEED_LIMITS)
    assert row.avg_quality is None


calls_strategy = st.lists(
    st.builds(
        CallRecord,
        st.sampled_from(["jane", "bob", "ann"]),
        st.integers(0, 3 * 3600),
        st.one_of(st.none(), st.integers(1, 5)),
    ),
    max_size=30,
)


@settings(max_examples=80, deadline=None)
@given(calls_strategy)
def test_totals_add_up_and_do_not_depend_on_order(calls):
    rows = caller_months(calls, SEED_LIMITS)
    assert sum(r.seconds for r in rows) == sum(c.seconds for c in calls)
    assert sum(r.calls for r in rows) == len(calls)
    assert caller_months(list(reversed(calls)), SEED_LIMITS) == rows
    for row in rows:
        assert row.status is status_for(row.seconds, SEED_LIMITS)
        assert row.long_calls <= row.calls


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_status_never_goes_down_as_time_is_added(a, b):
    order = [Status.WITHIN, Status.OVER_ALLOWANCE, Status.REVIEW]
    low, high = sorted((a, b))
    assert order.index(status_for(low, SEED_LIMITS)) <= order.index(status_for(high, SEED_LIMITS))
