"""The policy file: the bundled default per SPEC §2, the seed examples, and errors that name the line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.policy.model import PolicyError, default_policy_text, load_policy, parse_policy
from tests.harness import ROOT

EXAMPLES = sorted(ROOT.joinpath("examples/policies").glob("*.toml"))


def test_default_policy_is_seed_003_tiers_with_seed_000_and_001_rules():
    policy = load_policy(None)
    assert policy.timezone.key == "Europe/London" and policy.currency == "GBP"
    assert list(policy.plans) == ["lite", "professional", "enterprise", "ultimate"]
    lite = policy.plans["lite"]
    assert not lite.phone_support and lite.calendar.holiday_country == "GB"
    assert all(lite.calendar.weekly_hours[d] == ((480, 1080),) for d in range(7))
    for name in ("professional", "enterprise", "ultimate"):
        assert policy.plans[name].phone_support and policy.plans[name].calendar.is_24_7
    targets = {n: t.first_response for n, t in lite.priorities.items()}
    assert targets == {
        "immediate": timedelta(hours=1),
        "priority": timedelta(hours=8),
        "low": timedelta(hours=48),
    }
    assert str(policy.training_rate) == "60.00"
    assert policy.billing.block_validity_days == 90
    assert policy.billing.rounding.increment_minutes == 30
    assert policy.cancellation.free_notice == timedelta(hours=24)
    assert policy.cancellation.late_charge == timedelta(minutes=30)
    assert policy.fair_use.long_call == timedelta(minutes=15)
    assert policy.fair_use.allowance_per_user == timedelta(minutes=45)
    assert policy.fair_use.review_per_user == timedelta(minutes=60)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_seed_example_loads(path):
    assert load_policy(path).plans


def test_seed_004_example_has_public_and_internal_targets_and_a_90_percent_goal():
    policy = load_policy(next(p for p in EXAMPLES if p.name.startswith("004")))
    normal = policy.plans["business"].priorities["normal"]
    assert (normal.first_response, normal.first_response_internal) == (
        timedelta(hours=6),
        timedelta(hours=4),
    )
    assert set(policy.plans["business"].priorities) == {"low", "normal", "high", "urgent"}
    goal = policy.plans["business"].goal
    assert (goal.share, goal.first_response) == (0.9, timedelta(hours=6))


def _with(replace: str, by: str) -> str:
    text = default_policy_text()
    assert replace in text
    return text.replace(replace, by, 1)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('long_call = "15m"', 'long_cal = "15m"', "fair_use.long_cal: unknown key"),
        (
            'long_call = "15m"',
            'long_call = "fifteen"',
            "fair_use.long_call: `fifteen` is not a duration",
        ),
        (
            'timezone = "Europe/London"',
            'timezone = "Europe/Lundon"',
            "unknown timezone 'Europe/Lundon'",
        ),
        (
            'hours = { daily = "08:00-18:00" }',
            'hours = { daily = "18:00-08:00" }',
            "must end after it starts",
        ),
        ('calendar = "uk_daytime"', 'calendar = "nowhere"', "no calendar named 'nowhere'"),
        ("warning_share = 0.75", "warning_share = 7.5", "must be a fraction"),
        ("managers = []", 'managers = ["jane"]', "not a Slack user ID"),
        ('holidays = "GB"', 'holidays = "XX"', "calendars.uk_daytime"),
    ],
)
def test_errors_name_the_key_and_the_line(old, new, expected):
    text = _with(old, new)
    line = next(n for n, content in enumerate(text.splitlines(), 1) if new in content)
    with pytest.raises(PolicyError) as error:
        parse_policy(text, "policy.toml")
    message = str(error.value)
    assert expected in message
    assert message.startswith("policy.toml, line ")
    assert abs(int(message.split("line ")[1].split(":")[0]) - line) <= 2


def test_not_toml_at_all():
    with pytest.raises(PolicyError, match="not valid TOML"):
        parse_policy("[provider\n", "p.toml")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "missing.toml")
