"""The one rule for phone support (seed 000): the plan's flag, or the add-on on top of it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.customers import (
    describe_phone_support,
    parse_phone_setting,
    phone_setting_word,
    phone_support,
)
from bot.parsing import InputError
from bot.policy.loader import load_policy
from store.models import Customer

POLICY = load_policy(None)


def customer(plan: str, setting: bool | None, by: str | None = None) -> Customer:
    at = datetime(2026, 3, 31, 23, 30, tzinfo=UTC) if by else None
    return Customer(
        name="c", plan=plan, phone_support=setting, phone_support_by=by, phone_support_at=at
    )


@pytest.mark.parametrize(
    ("plan", "setting", "expected"),
    [
        ("lite", None, False),
        ("lite", True, True),
        ("lite", False, False),
        ("professional", None, True),
        # The add-on only adds: an old `off` never takes away what a plan includes.
        ("professional", False, True),
        ("professional", True, True),
    ],
)
def test_phone_support_is_the_plan_or_the_add_on(plan, setting, expected):
    assert phone_support(customer(plan, setting), POLICY) is expected


def test_descriptions_say_where_support_comes_from_with_the_providers_date():
    # 23:30 UTC on 31 March 2026 is 00:30 BST on 1 April: the date is the provider's (London).
    assert describe_phone_support(customer("lite", True, "U1"), POLICY) == (
        "yes (add-on, set by <@U1> on Wed 1 Apr 2026)"
    )
    assert describe_phone_support(customer("lite", False, "U1"), POLICY) == (
        "no (add-on removed by <@U1> on Wed 1 Apr 2026)"
    )
    assert describe_phone_support(customer("lite", None), POLICY) == "no"
    assert describe_phone_support(customer("ultimate", None), POLICY) == "yes (plan)"


@pytest.mark.parametrize("word", ["on", "off", "plan", "On", " PLAN "])
def test_setting_words_round_trip(word):
    assert phone_setting_word(parse_phone_setting(word)) == word.strip().lower()


@pytest.mark.parametrize("word", ["", "yes", "true", "1", "onn"])
def test_other_words_are_refused(word):
    with pytest.raises(InputError, match="takes on, off or plan"):
        parse_phone_setting(word)
