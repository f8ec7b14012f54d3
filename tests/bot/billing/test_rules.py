"""Tests for bot.billing: the seed policy examples, then invariants checked with hypothesis."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.billing.blocks import (
    Allocation,
    BlockStatus,
    Charge,
    Drawdown,
    HourBlock,
    allocate,
    block_expiry_warnings,
    expiry_alert_key,
    low_balance,
)
from bot.billing.rounding import (
    DayReceipt,
    SupportKind,
    billable_entries,
    daily_receipts,
    is_billable,
)
from bot.policy.rounding import RoundingMode, RoundingRule
from bot.units import format_minutes, overage_amount

FRI = date(2026, 11, 20)
TODAY = date(2026, 11, 20)
UP = RoundingRule()
NEAREST = RoundingRule(mode=RoundingMode.NEAREST)


# --- Rounding ------------------------------------------------------------------------------


def test_seed_example_two_units_round_up_once_for_the_day():
    [receipt] = daily_receipts("acme", [(FRI, 5), (FRI, 30)], UP)
    assert receipt.logged_minutes == 35
    assert receipt.billed_minutes == 60


def test_exact_increment_is_not_rounded_further():
    [receipt] = daily_receipts("acme", [(FRI, 30)], UP)
    assert receipt.billed_minutes == 30


def test_no_entries_means_no_receipt():
    assert daily_receipts("acme", [], UP) == []


def test_zero_minute_day_produces_no_receipt():
    assert daily_receipts("acme", [(FRI, 0)], UP) == []


@pytest.mark.parametrize(
    ("rule", "logged", "billed"),
    [
        (UP, 0, 0),
        (UP, 1, 30),
        (UP, 35, 60),
        (UP, 60, 60),
        (NEAREST, 0, 0),
        (NEAREST, 14, 0),
        (NEAREST, 15, 30),
        (NEAREST, 44, 30),
        (NEAREST, 45, 60),
        (RoundingRule(15, RoundingMode.UP), 16, 30),
        (RoundingRule(25, RoundingMode.NEAREST), 12, 0),
        (RoundingRule(25, RoundingMode.NEAREST), 13, 25),
    ],
)
def test_rounding_rule(rule, logged, billed):
    assert rule.apply(logged) == billed


def test_rounding_rule_rejects_bad_input():
    with pytest.raises(ValueError):
        RoundingRule(increment_minutes=0)
    with pytest.raises(ValueError):
        UP.apply(-1)
    with pytest.raises(TypeError):
        UP.apply(1.5)


def test_rounding_mode_accepts_its_string_value():
    assert RoundingRule(30, "nearest").mode is RoundingMode.NEAREST


def test_receipts_round_each_day_separately_and_sort_by_date():
    sat = FRI + timedelta(days=1)
    receipts = daily_receipts("acme", [(sat, 10), (FRI, 5), (sat, 10), (FRI, 30)], UP)
    assert [(r.work_date, r.entries_minutes, r.billed_minutes) for r in receipts] == [
        (FRI, (5, 30), 60),
        (sat, (10, 10), 30),
    ]


def test_describe_matches_the_receipt_wording():
    [receipt] = daily_receipts("acme", [(FRI, 5), (FRI, 30)], UP)
    assert receipt.describe(FRI) == (
        "acme, Fri 20 Nov: 5m + 30m = 35m logged → 1h billed "
        "(30-minute increments, rounded once daily)"
    )


def test_describe_single_entry_and_mixed_hours():
    [receipt] = daily_receipts("acme", [(FRI, 70)], UP)
    assert receipt.describe(FRI) == (
        "acme, Fri 20 Nov: 1h 10m logged → 1h 30m billed (30-minute increments, rounded once daily)"
    )


def test_a_receipt_in_another_year_shows_its_year():
    [receipt] = daily_receipts("acme", [(FRI, 70)], UP)
    assert receipt.describe(date(2027, 1, 4)).startswith("acme, Fri 20 Nov 2026: 1h 10m logged")


def test_format_minutes():
    assert [format_minutes(m) for m in (0, 35, 60, 90)] == ["0m", "35m", "1h", "1h 30m"]


def test_receipt_refuses_numbers_that_do_not_add_up():
    with pytest.raises(ValueError):
        DayReceipt("acme", FRI, (5, 30), 30, 30, UP)
    with pytest.raises(ValueError):
        DayReceipt("acme", FRI, (5, 30), 35, 35, UP)


def test_receipt_charge_is_the_billed_day_total():
    [receipt] = daily_receipts("acme", [(FRI, 5), (FRI, 30)], UP)
    assert receipt.charge() == Charge(FRI, 60, "day")


# --- General support is never billed --------------------------------------------------------


def test_general_support_is_never_billable():
    assert not is_billable(SupportKind.GENERAL)
    assert is_billable("one_on_one")
    with pytest.raises(ValueError):
        is_billable("mystery")


def test_billable_entries_drop_general_support_before_rounding():
    entries = [(FRI, 5, "one_on_one"), (FRI, 50, SupportKind.GENERAL), (FRI, 30, "one_on_one")]
    [receipt] = daily_receipts("acme", billable_entries(entries), UP)
    assert receipt.entries_minutes == (5, 30)
    assert receipt.billed_minutes == 60


# --- Hour blocks ------------------------------------------------------------------------------


def test_ninety_day_expiry():
    purchased = date(2026, 8, 30)
    assert HourBlock.expiry_for(purchased) == date(2026, 11, 28)
    block = HourBlock.bought("b1", 600, purchased)
    assert block.is_valid_on(date(2026, 11, 27))
    assert not block.is_valid_on(date(2026, 11, 28))
    assert block.is_valid_on(purchased)
    assert not block.is_valid_on(purchased - timedelta(days=1))


def test_block_rejects_nonsense():
    with pytest.raises(ValueError):
        HourBlock("b", -60, FRI, FRI + timedelta(days=90))
    with pytest.raises(ValueError):
        HourBlock("b", 60, FRI, FRI)


def test_charge_today_draws_the_sooner_expiring_block_first():
    old = HourBlock.bought("old", 600, TODAY - timedelta(days=80))
    new = HourBlock.bought("new", 600, TODAY - timedelta(days=10))
    result = allocate([Charge(TODAY, 60, "day")], [new, old], TODAY)
    assert result.drawdowns == (Drawdown("old", TODAY, 60, "day"),)
    assert result.used_by_block() == {"old": 60, "new": 0}


def test_soonest_expiry_wins_over_earliest_purchase():
    long_block = HourBlock.bought("long", 600, TODAY - timedelta(days=20), validity_days=90)
    short_block = HourBlock.bought("short", 600, TODAY - timedelta(days=5), validity_days=30)
    result = allocate([Charge(TODAY, 60, "day")], [long_block, short_block], TODAY)
    assert result.used_by_block() == {"long": 0, "short": 60}


def test_charge_spans_blocks_when_the_first_runs_out():
    old = HourBlock.bought("old", 30, TODAY - timedelta(days=80))
    new = HourBlock.bought("new", 600, TODAY - timedelta(days=10))
    result = allocate([Charge(TODAY, 90, "session:s1")], [old, new], TODAY)
    assert result.drawdowns_for("session:s1") == (
        Drawdown("old", TODAY, 30, "session:s1"),
        Drawdown("new", TODAY, 60, "session:s1"),
    )
    assert result.statement_for("old").status == BlockStatus.EXHAUSTED
    assert result.statement_for("new").status == "active"


def test_back_dated_charge_cannot_use_a_block_bought_later():
    old = HourBlock.bought("old", 30, TODAY - timedelta(days=80))
    new = HourBlock.bought("new", 600, TODAY - timedelta(days=10))
    back_dated = Charge(TODAY - timedelta(days=20), 60, "day")
    result = allocate([back_dated], [old, new], TODAY)
    assert result.drawdowns == (
        Drawdown("old", back_dated.work_date, 30, "day"),
        Drawdown(None, back_dated.work_date, 30, "day"),
    )
    assert result.overage_minutes == 30
    assert result.statement_for("new").used_minutes == 0


def test_back_dated_charge_is_recomputed_not_patched():
    old = HourBlock.bought("old", 60, TODAY - timedelta(days=80))
    new = HourBlock.bought("new", 600, TODAY - timedelta(days=10))
    today = Charge(TODAY, 60, "day")
    before = allocate([today], [old, new], TODAY)
    assert before.used_by_block() == {"old": 60, "new": 0}
    # A charge logged late for last month takes the old block; today's work moves to the new one.
    after = allocate([today, Charge(TODAY - timedelta(days=30), 60, "day")], [old, new], TODAY)
    assert after.used_by_block() == {"old": 60, "new": 60}
    assert after.overage_minutes == 0


def test_overage_when_blocks_run_out():
    block = HourBlock.bought("b1", 60, TODAY - timedelta(days=5))
    charges = [Charge(TODAY - timedelta(days=1), 45, "day"), Charge(TODAY, 45, "day")]
    result = allocate(charges, [block], TODAY)
    assert result.overage_minutes == 30
    assert result.drawdowns_from(None) == (Drawdown(None, TODAY, 30, "day"),)
    assert overage_amount(result.overage_minutes, Decimal("90.00")) == Decimal("45.00")


def test_no_blocks_means_everything_is_overage():
    result = allocate([Charge(TODAY, 30, "cancellation:c1")], [], TODAY)
    assert result.overage_minutes == 30
    assert result.blocks == ()


def test_forfeiture_at_expiry():
    block = HourBlock.bought("b1", 600, date(2026, 8, 30))
    charges = [Charge(date(2026, 9, 1), 120, "day")]
    day_before = allocate(charges, [block], date(2026, 11, 27)).statement_for("b1")
    assert (day_before.status, day_before.remaining_minutes, day_before.forfeited_minutes) == (
        "active",
        480,
        0,
    )
    at_expiry = allocate(charges, [block], date(2026, 11, 28)).statement_for("b1")
    assert at_expiry.status == BlockStatus.EXPIRED
    assert (at_expiry.used_minutes, at_expiry.remaining_minutes) == (120, 0)
    assert at_expiry.forfeited_minutes == 480


def test_expired_block_still_covers_work_done_while_it_was_valid():
    block = HourBlock.bought("b1", 600, date(2026, 8, 30))
    late = allocate([Charge(date(2026, 11, 27), 60, "day")], [block], date(2026, 12, 15))
    assert late.used_by_block() == {"b1": 60}
    assert late.statement_for("b1").forfeited_minutes == 540
    after = allocate([Charge(date(2026, 11, 28), 60, "day")], [block], date(2026, 12, 15))
    assert after.overage_minutes == 60


def test_exhausted_block_that_expires_is_reported_expired_with_nothing_forfeited():
    block = HourBlock.bought("b1", 60, date(2026, 8, 30))
    result = allocate([Charge(date(2026, 9, 1), 60, "day")], [block], date(2026, 12, 1))
    statement = result.statement_for("b1")
    assert (statement.status, statement.forfeited_minutes) == ("expired", 0)


def test_duplicate_block_ids_are_refused():
    block = HourBlock.bought("b1", 60, TODAY)
    with pytest.raises(ValueError):
        allocate([], [block, block], TODAY)


# --- Money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "rate", "amount"),
    [
        (0, "120.00", "0.00"),
        (30, "120.00", "60.00"),
        (20, "90.00", "30.00"),
        (1, "100.00", "1.67"),
        (1, "0.30", "0.01"),  # 0.005 rounds half up
        (90, "75", "112.50"),
    ],
)
def test_overage_amount(minutes, rate, amount):
    assert overage_amount(minutes, Decimal(rate)) == Decimal(amount)


def test_overage_amount_refuses_floats():
    with pytest.raises(TypeError):
        overage_amount(30, 120.0)


# --- Alerts ---------------------------------------------------------------------------------


def test_expiry_warnings_reach_thresholds_in_turn():
    block = HourBlock.bought("b1", 600, date(2026, 8, 30))  # expires 2026-11-28

    def warnings_on(day: date) -> list[int]:
        return block_expiry_warnings(block, day)

    assert warnings_on(date(2026, 11, 13)) == []  # 15 days left
    assert warnings_on(date(2026, 11, 14)) == [14]
    assert warnings_on(date(2026, 11, 21)) == [14, 7]
    assert warnings_on(date(2026, 11, 27)) == [14, 7, 1]
    assert warnings_on(date(2026, 11, 28)) == []  # expired
    assert block_expiry_warnings(block, date(2026, 11, 25), days_before=(3,)) == [3]
    assert expiry_alert_key("b1", 7) == "block_expiring:b1:7"


def test_low_balance():
    assert low_balance(60, 60)
    assert low_balance(0, 60)
    assert not low_balance(61, 60)
    with pytest.raises(ValueError):
        low_balance(-1, 60)


# --- Properties ---------------------------------------------------------------------------

# Deadline off: a slow CI box should not turn a correct allocation into a flaky failure.
SETTINGS = settings(deadline=None)
START = date(2026, 1, 1)
days = st.integers(min_value=0, max_value=120).map(lambda n: START + timedelta(days=n))
minutes = st.integers(min_value=0, max_value=600)
rules = st.builds(
    RoundingRule, st.sampled_from([1, 15, 25, 30, 60]), st.sampled_from(list(RoundingMode))
)
charges = st.lists(
    st.builds(
        Charge,
        days,
        minutes,
        st.sampled_from(["day", "session:s1", "session:s2", "cancellation:c1"]),
    ),
    max_size=25,
)


@st.composite
def block_lists(draw):
    n = draw(st.integers(min_value=0, max_value=6))
    return [
        HourBlock.bought(
            f"b{i}",
            draw(st.integers(min_value=0, max_value=900)),
            draw(days),
            draw(st.sampled_from([30, 90])),
        )
        for i in range(n)
    ]


@SETTINGS
@given(st.lists(st.tuples(days, minutes), max_size=30))
def test_property_up_billed_covers_logged_by_less_than_one_increment(entries):
    for receipt in daily_receipts("acme", entries, UP):
        assert receipt.billed_minutes >= receipt.logged_minutes
        assert receipt.billed_minutes - receipt.logged_minutes < UP.increment_minutes
        assert receipt.billed_minutes % UP.increment_minutes == 0


@SETTINGS
@given(st.lists(st.tuples(days, minutes), max_size=30), rules)
def test_property_one_receipt_per_day_with_all_logged_minutes(entries, rule):
    receipts = daily_receipts("acme", entries, rule)
    dates = [r.work_date for r in receipts]
    assert dates == sorted(set(dates))
    per_day: dict[date, int] = defaultdict(int)
    for work_date, logged in entries:
        per_day[work_date] += logged
    assert {r.work_date: r.logged_minutes for r in receipts} == {
        d: m for d, m in per_day.items() if m
    }


@SETTINGS
@given(minutes, rules)
def test_property_rounding_lands_on_an_increment_within_one_step(logged, rule):
    billed = rule.apply(logged)
    assert billed % rule.increment_minutes == 0
    assert abs(billed - logged) < rule.increment_minutes
    if rule.mode is RoundingMode.NEAREST:
        assert abs(billed - logged) * 2 <= rule.increment_minutes


def _check_invariants(charge_list: list[Charge], blocks: list[HourBlock], result: Allocation):
    # Everything billed is accounted for, in blocks or as overage.
    assert sum(d.minutes for d in result.drawdowns) == sum(c.minutes for c in charge_list)
    assert result.overage_minutes == sum(d.minutes for d in result.drawdowns if d.is_overage)
    assert all(d.minutes > 0 for d in result.drawdowns)

    by_id = {b.id: b for b in blocks}
    assert {s.block.id for s in result.blocks} == set(by_id)
    drawn: dict[str, int] = defaultdict(int)
    for d in result.drawdowns:
        if d.block_id is not None:
            assert by_id[d.block_id].is_valid_on(d.work_date)
            drawn[d.block_id] += d.minutes

    for s in result.blocks:
        assert s.used_minutes == drawn[s.block.id]
        assert 0 <= s.used_minutes <= s.block.minutes
        assert s.remaining_minutes >= 0 and s.forfeited_minutes >= 0
        assert s.used_minutes + s.remaining_minutes + s.forfeited_minutes == s.block.minutes

    # Soonest expiry first: a block is only drawn once every valid block ahead of it is used
    # up, and overage only once every valid block is. Balances only fall, so the end state shows.
    def priority(block: HourBlock) -> tuple[date, date, str]:
        return (block.expires, block.purchased, block.id)

    unused = [by_id[s.block.id] for s in result.blocks if s.used_minutes < s.block.minutes]
    for d in result.drawdowns:
        ahead = [b for b in unused if b.is_valid_on(d.work_date)]
        if d.block_id is not None:
            ahead = [b for b in ahead if priority(b) < priority(by_id[d.block_id])]
        assert not ahead


@settings(SETTINGS, max_examples=150)
@given(charges, block_lists(), days)
def test_property_allocation_invariants(charge_list, blocks, as_of):
    _check_invariants(charge_list, blocks, allocate(charge_list, blocks, as_of))


@SETTINGS
@given(charges, block_lists(), days, st.randoms(use_true_random=False))
def test_property_allocation_ignores_input_order(charge_list, blocks, as_of, rng):
    expected = allocate(charge_list, blocks, as_of)
    shuffled_charges, shuffled_blocks = list(charge_list), list(blocks)
    rng.shuffle(shuffled_charges)
    rng.shuffle(shuffled_blocks)
    assert allocate(shuffled_charges, shuffled_blocks, as_of) == expected


@SETTINGS
@given(charges, block_lists(), days)
def test_property_status_matches_balance(charge_list, blocks, as_of):
    for s in allocate(charge_list, blocks, as_of).blocks:
        if s.block.expires <= as_of:
            assert s.status == "expired" and s.remaining_minutes == 0
        elif s.remaining_minutes == 0:
            assert s.status == "exhausted" and s.forfeited_minutes == 0
        else:
            assert s.status == "active" and s.forfeited_minutes == 0


@SETTINGS
@given(minutes, st.integers(min_value=0, max_value=100_000).map(lambda c: Decimal(c) / 100))
def test_property_overage_amount_is_in_cents_and_never_negative(overage, rate):
    amount = overage_amount(overage, rate)
    assert amount == amount.quantize(Decimal("0.01"))
    assert amount >= 0
    assert abs(amount - Decimal(overage) * rate / 60) <= Decimal("0.005")


def test_blocks_bought_the_same_day_draw_in_the_order_they_were_recorded():
    # Regression: ids were compared as text, so block 10 was drawn before block 9.
    bought = date(2026, 11, 1)
    blocks = [HourBlock.bought("10", 60, bought), HourBlock.bought("9", 60, bought)]
    allocation = allocate([Charge(date(2026, 11, 2), 30, "day")], blocks, date(2026, 11, 2))
    assert [d.block_id for d in allocation.drawdowns] == ["9"]
