"""A long call billed as training (seed 000): its minutes and price, and the decision words."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.calls.training import CallBilling, billed_minutes, parse_billing, training_amount
from bot.parsing import InputError
from bot.policy.loader import load_policy

POLICY = load_policy(None)


@given(st.integers(min_value=0, max_value=8 * 3600))
def test_a_started_minute_counts_and_no_more(seconds):
    minutes = billed_minutes(seconds)
    assert minutes * 60 >= seconds > (minutes - 1) * 60


@pytest.mark.parametrize(
    ("seconds", "amount"),
    [(901, "16.00"), (960, "16.00"), (1200, "20.00"), (3600, "60.00"), (5430, "91.00")],
)
def test_priced_at_the_seed_training_rate_of_60_an_hour(seconds, amount):
    assert POLICY.training_rate == Decimal("60")
    assert training_amount(POLICY, seconds) == Decimal(amount)


def test_decision_words():
    assert parse_billing("Training") is CallBilling.TRAINING
    assert parse_billing("undo") is parse_billing("support") is CallBilling.SUPPORT
    with pytest.raises(InputError, match="`waive` is not a billing decision"):
        parse_billing("waive")
