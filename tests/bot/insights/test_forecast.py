"""Forecasts as pure arithmetic: burn rate, block run-out and forfeit, SLA error budget,
fair-use outlook. Property tests state what must hold for any data."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.insights.forecast import (
    WEEKS,
    LiveBlock,
    at_forfeit_risk,
    attainment_after,
    burn_rate,
    fair_use_outlook,
    forecast_blocks,
    hours,
    sla_outlook,
    week_start,
)

TODAY = date(2026, 12, 2)  # a Wednesday

days_ahead = st.integers(min_value=1, max_value=200)
minutes = st.integers(min_value=0, max_value=100 * 60)


def constant_usage(per_week: int, today: date) -> dict[date, int]:
    """The same minutes every week, on one weekday, for the whole trailing window."""
    monday = week_start(today)
    return {monday - timedelta(weeks=w, days=-2): per_week for w in range(1, WEEKS + 1)}


def test_the_window_is_the_eight_whole_weeks_before_this_week():
    usage = {
        date(2026, 11, 30): 600,  # this week: not counted (not over yet)
        date(2026, 11, 29): 120,  # last week's Sunday
        date(2026, 10, 5): 60,  # first Monday of the window
        date(2026, 10, 4): 999,  # before the window
    }
    rate = burn_rate(usage, TODAY)
    assert (rate.start, rate.end, rate.weeks) == (date(2026, 10, 5), date(2026, 11, 30), 8)
    assert rate.weekly_minutes[0] == 60 and rate.weekly_minutes[-1] == 120
    assert rate.minutes_per_week == Fraction(180, 8)
    assert rate.hours_per_week == Decimal("0.38")


def test_a_new_customer_s_rate_counts_only_their_weeks():
    rate = burn_rate({date(2026, 11, 24): 300}, TODAY, since=date(2026, 11, 18))
    assert rate.weeks == 2 and rate.minutes_per_week == 150
    assert burn_rate({}, TODAY, since=TODAY).weeks == 0


@given(per_week=st.integers(min_value=1, max_value=40 * 60), left=minutes, ahead=days_ahead)
def test_a_constant_burn_rate_projects_exactly(per_week, left, ahead):
    rate = burn_rate(constant_usage(per_week, TODAY), TODAY)
    assert rate.minutes_per_week == per_week
    block = LiveBlock("1", TODAY - timedelta(days=30), TODAY + timedelta(days=ahead), left)
    if left == 0:  # an exhausted block is not live: nothing to project
        assert forecast_blocks([block], rate, TODAY).blocks == ()
        return
    (forecast,) = forecast_blocks([block], rate, TODAY).blocks
    per_day = Fraction(per_week, 7)
    usable_days = ahead - 1  # tomorrow up to the day before expiry
    if left <= per_day * usable_days:
        assert forecast.runs_out == TODAY + timedelta(days=math.ceil(left / per_day))
        assert forecast.forfeit_minutes == 0
        assert forecast.series[-1] == (forecast.runs_out, Decimal("0.00"))
    else:
        assert forecast.runs_out is None
        assert forecast.forfeit_minutes == left - per_day * usable_days
        assert forecast.series[-1] == (block.expires, hours(forecast.forfeit_minutes))
    assert forecast.series[0] == (TODAY, hours(left))
    dates = [d for d, _ in forecast.series]
    assert dates == sorted(set(dates))
    values = [v for _, v in forecast.series]
    assert values == sorted(values, reverse=True)  # never grows


@given(left=st.integers(min_value=1, max_value=100 * 60), ahead=days_ahead)
def test_no_usage_projects_the_whole_block_forfeited(left, ahead):
    block = LiveBlock("7", TODAY - timedelta(days=10), TODAY + timedelta(days=ahead), left)
    forecast = forecast_blocks([block], burn_rate({}, TODAY), TODAY)
    (only,) = forecast.blocks
    assert only.runs_out is None and only.forfeit_minutes == left
    assert only.forfeit_hours == hours(left)
    assert only.series[0] == (TODAY, hours(left)) and only.series[-1] == (
        block.expires,
        hours(left),
    )


@given(
    lefts=st.lists(st.integers(min_value=1, max_value=60 * 60), min_size=1, max_size=4),
    aheads=st.lists(days_ahead, min_size=4, max_size=4),
    per_day=st.integers(min_value=0, max_value=600),
)
def test_projected_use_never_exceeds_the_burn_or_the_blocks(lefts, aheads, per_day):
    blocks = [
        LiveBlock(str(i), TODAY - timedelta(days=5), TODAY + timedelta(days=aheads[i]), left)
        for i, left in enumerate(lefts)
    ]
    forecast = forecast_blocks(blocks, Fraction(per_day), TODAY)
    total = sum(lefts)
    used = total - forecast.forfeit_minutes
    horizon = max(aheads) - 1
    assert 0 <= used <= per_day * horizon
    for f in forecast.blocks:
        assert 0 <= f.forfeit_minutes <= f.block.remaining_minutes
        assert (f.runs_out is None) == (f.forfeit_minutes > 0)
        if f.runs_out is not None:
            assert TODAY < f.runs_out < f.block.expires


def test_the_soonest_expiring_block_is_drawn_first_then_the_next():
    first = LiveBlock("a", date(2026, 9, 1), TODAY + timedelta(days=5), 120)
    second = LiveBlock("b", date(2026, 11, 1), TODAY + timedelta(days=60), 600)
    forecast = forecast_blocks([second, first], Fraction(60), TODAY)
    a, b = forecast.blocks
    assert a.block.id == "a" and a.runs_out == TODAY + timedelta(days=2)
    assert b.runs_out == TODAY + timedelta(days=12) and forecast.runs_out == b.runs_out
    # b stays flat while a is used, then falls an hour a day.
    assert dict(b.series)[TODAY + timedelta(days=2)] == Decimal("10.00")
    assert dict(b.series)[TODAY + timedelta(days=3)] == Decimal("9.00")


def test_forfeit_risk_is_more_than_the_threshold_in_the_last_30_days():
    block = LiveBlock("1", date(2026, 10, 1), TODAY + timedelta(days=20), 600)
    (f,) = forecast_blocks([block], Fraction(15), TODAY).blocks  # 19 days x 15m = 285m used
    assert f.forfeit_minutes == 315
    assert at_forfeit_risk(f, TODAY, threshold_minutes=120)
    assert not at_forfeit_risk(f, TODAY, threshold_minutes=315)  # more than, not equal
    assert not at_forfeit_risk(f, TODAY - timedelta(days=11), threshold_minutes=120)


# --- SLA ---------------------------------------------------------------------------------


@given(
    within=st.integers(min_value=0, max_value=60),
    missed=st.integers(min_value=0, max_value=20),
    open_tickets=st.integers(min_value=0, max_value=10),
    day=st.integers(min_value=1, max_value=30),
    goal=st.sampled_from(["0.9", "0.95", "0.8", "1", "0.5"]),
    earlier=st.lists(st.integers(0, 60), max_size=3),
)
def test_budget_is_never_negative_and_consistent_with_attainment(
    within, missed, open_tickets, day, goal, earlier
):
    outlook = sla_outlook(
        goal=goal,
        within=within,
        missed=missed,
        open_tickets=open_tickets,
        day_of_month=day,
        days_in_month=30,
        earlier_months=earlier,
    )
    share = Fraction(goal)
    assert outlook.budget >= 0
    assert outlook.expected >= within + missed + open_tickets
    if outlook.lost:
        assert outlook.budget == 0
        assert attainment_after(outlook, 0) < share  # even with no more misses
    elif outlook.expected:
        # The budget's misses still meet the goal; one more loses it.
        assert attainment_after(outlook, outlook.budget) >= share
        assert attainment_after(outlook, outlook.budget + 1) < share
    if outlook.projected is not None:
        assert 0 <= outlook.projected <= 1
    assert outlook.at_risk == (outlook.lost or outlook.budget <= 1)


def test_seed_004_ninety_percent_worked_example():
    # Day 15 of 30: 17 within, 1 missed, 2 open -> pace 40 tickets; 90% allows 4 misses.
    outlook = sla_outlook(
        goal=0.9, within=17, missed=1, open_tickets=2, day_of_month=15, days_in_month=30
    )
    assert (outlook.expected, outlook.budget, outlook.lost) == (40, 3, False)
    assert outlook.attainment == Fraction(17, 18)
    assert outlook.projected == Fraction(17 + 22 * Fraction(17, 18), 40)


def test_a_goal_already_out_of_reach_is_lost():
    outlook = sla_outlook(
        goal="0.9", within=2, missed=3, open_tickets=0, day_of_month=30, days_in_month=30
    )
    assert outlook.lost and outlook.budget == 0 and outlook.at_risk
    assert outlook.projected == Fraction(2, 5)


def test_nothing_yet_meets_the_goal_with_everything_ahead():
    outlook = sla_outlook(
        goal="0.9", within=0, missed=0, open_tickets=0, day_of_month=3, days_in_month=31
    )
    assert outlook.attainment is None and outlook.expected == 0 and outlook.projected is None
    assert outlook.budget == 0 and not outlook.lost


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        sla_outlook(goal=0, within=1, missed=0, open_tickets=0, day_of_month=1, days_in_month=30)
    with pytest.raises(ValueError):
        sla_outlook(goal=0.9, within=1, missed=0, open_tickets=0, day_of_month=0, days_in_month=30)
    with pytest.raises(ValueError):
        forecast_blocks([], Fraction(-1), TODAY)


# --- fair use ----------------------------------------------------------------------------


def test_a_caller_s_pace_is_projected_to_the_month_end():
    found = fair_use_outlook(
        {"jane": 30 * 60, "sam": 10 * 60, "ann": 50 * 60},
        allowance_seconds=45 * 60,
        review_seconds=60 * 60,
        today=date(2026, 12, 10),
        days_in_month=31,
    )
    assert [c.caller for c in found] == ["ann", "jane"]  # ann: 155m projected, jane 93m
    ann, jane = found
    assert jane.projected_seconds == Fraction(30 * 60 * 31, 10) and jane.projected_review
    # 3m a day: 45:00 is reached at the end of the 15th, passed on the 16th.
    assert jane.passes_on == date(2026, 12, 16) and not jane.already_over
    assert ann.already_over and ann.passes_on is None


@given(
    seconds=st.integers(min_value=1, max_value=4 * 3600),
    day=st.integers(min_value=1, max_value=30),
)
def test_passing_day_is_the_first_day_the_pace_is_over(seconds, day):
    today = date(2026, 11, day)
    found = fair_use_outlook(
        {"x": seconds}, allowance_seconds=2700, review_seconds=3600, today=today, days_in_month=30
    )
    per_day = Fraction(seconds, day)
    assert bool(found) == (per_day * 30 > 2700)
    if found and found[0].passes_on is not None:
        k = found[0].passes_on.day
        assert per_day * k > 2700 >= per_day * (k - 1)


def test_recent_months_steady_the_expected_count_early_in_the_month():
    # Day 3 of 30 with 1 ticket: the pace alone says 10; two months of 40 say 40.
    # Blended: 3/30 x 10 + 27/30 x 40 = 37, so 90% allows 3 misses.
    outlook = sla_outlook(
        goal="0.9",
        within=1,
        missed=0,
        open_tickets=0,
        day_of_month=3,
        days_in_month=30,
        earlier_months=[40, 40],
    )
    assert (outlook.expected, outlook.budget) == (37, 3)


@given(
    st.one_of(
        st.integers(-(10**9), 10**9),
        st.fractions(min_value=-(10**9), max_value=10**9, max_denominator=10**6),
    )
)
def test_hours_is_the_reduced_fractions_division(minutes):
    """`hours` divides by 60 in one Decimal division (issue 11: thousands of calls a sweep):
    the same correctly rounded quotient as the reduced fraction's, digit for digit."""
    value = Fraction(minutes) / 60
    reference = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding="ROUND_HALF_UP"
    )
    assert str(hours(minutes)) == str(reference)
