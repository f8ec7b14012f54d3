"""The policy file: the bundled default per SPEC §2, the seed examples, and errors that name the line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.policy.loader import default_policy_text, load_policy, parse_policy
from bot.policy.model import (
    ACTIVITIES,
    Billing,
    Bookings,
    Cancellation,
    FairUse,
    Roles,
    Sla,
    Timers,
)
from bot.policy.reader import PolicyError
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
    # Seed 003: "Technical escalation Process" comes with Technical Support, not with Lite.
    assert [name for name, plan in policy.plans.items() if plan.escalate] == [
        "professional",
        "enterprise",
        "ultimate",
    ]
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


def test_default_policy_layers_seed_004_goal_on_seed_003_targets():
    """Seed 004's "90% ... answered within 6 hours" is every plan's goal (ultimate's is
    stricter); 003's public targets stay, each with a stricter internal one."""
    policy = load_policy(None)
    goals = {name: (p.goal.share, p.goal.first_response) for name, p in policy.plans.items()}
    six = (0.9, timedelta(hours=6))
    assert goals == {
        "lite": six,
        "professional": six,
        "enterprise": six,
        "ultimate": (0.9, timedelta(hours=1)),
    }
    for plan in policy.plans.values():
        targets = {
            name: (t.first_response, t.first_response_internal)
            for name, t in plan.priorities.items()
        }
        assert targets == {
            "immediate": (timedelta(hours=1), timedelta(minutes=45)),
            "priority": (timedelta(hours=8), timedelta(hours=6)),
            "low": (timedelta(hours=48), timedelta(hours=36)),
        }
    assert (policy.sla.default_priority, policy.sla.warning_share) == ("priority", 0.75)


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


# Each message as the policy file's author sees it, to the letter: the table-driven reader must
# say exactly what the hand-written one said (file, line, dotted key, words).
@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'increment = "30m"',
            'increment = "90s"',
            "line 20: billing.increment: must be whole minutes",
        ),
        (
            'rounding = "up"',
            'rounding = "down"',
            'line 21: billing.rounding: must be "up" or "nearest"',
        ),
        (
            'period = "day"',
            'period = "week"',
            'line 22: billing.period: only "day" is supported (seed 001)',
        ),
        (
            "block_validity_days = 90",
            "block_validity_days = 0",
            "line 23: billing.block_validity_days: must be a whole number from 1 to 3660",
        ),
        (
            "block_expiry_warning_days = [14, 7, 1]",
            "block_expiry_warning_days = 7",
            "line 25: billing.block_expiry_warning_days: must be a list of days",
        ),
        (
            "block_expiry_warning_days = [14, 7, 1]",
            "block_expiry_warning_days = [14, 700]",
            "line 25: billing.block_expiry_warning_days: must be a whole number from 1 to 365",
        ),
        (
            'late_charge = "30m"',
            "late_charge = 30",
            'line 31: cancellation.late_charge: must be a duration string like "90m", not 30',
        ),
        (
            'reminders = ["24h", "1h"]',
            'reminders = ["24h", "0m"]',
            "line 35: bookings.reminders: must be longer than zero",
        ),
        (
            'review_per_user = "60m"',
            'review_per_user = "30m"',
            "line 42: fair_use.review_per_user: must not be less than allowance_per_user",
        ),
        (
            'currency = "GBP"',
            'currency = "POUND"',
            "line 7: provider.currency: must be a three-letter currency code",
        ),
        (
            'hourly_rate = "90.00"',
            'hourly_rate = "ninety"',
            "line 8: provider.hourly_rate: `ninety` is not an amount of money",
        ),
        (
            'default_priority = "priority"',
            'default_priority = "urgent"',
            "line 50: sla.default_priority: plan 'lite' has no priority 'urgent'",
        ),
        (
            'after = "1h"',
            'after = "soon"',
            "line 55: sla.escalations.after: `soon` is not a duration (try 90m, 1h30m, 1.5h or 1:30)",
        ),
        (
            'level = "account manager"',
            'levels = "account manager"',
            "line 54: sla.escalations.levels: unknown key",
        ),
        (
            'first_response_internal = "45m"',
            'first_response_internal = "-45m"',
            "line 66: sla.priorities.immediate.first_response_internal: `-45m` is not a duration (try 90m, 1h30m, 1.5h or 1:30)",
        ),
        (
            "phone_support = false",
            'phone_support = "no"',
            "line 94: plans.lite.phone_support: must be true or false",
        ),
        (
            "escalate = false",
            'escalate = "no"',
            "line 95: plans.lite.escalate: must be true or false",
        ),
        (
            'goal = { share = 0.9, first_response = "1h" }',
            "goal = { share = 0.9 }",
            "line 108: plans.ultimate.goal: needs `share` and `first_response`",
        ),
        (
            'hours = { daily = "08:00-18:00" }',
            'hours = { daily = ["08:00-12:00", "11:00-18:00"] }',
            "line 86: calendars.uk_daytime.hours.daily: shifts overlap",
        ),
        (
            'hours = { daily = "08:00-18:00" }',
            'hours = { everyday = "08:00-18:00" }',
            "line 86: calendars.uk_daytime.hours.everyday: unknown key",
        ),
        ("[roles]", "[role]", "line 13: role: unknown key"),
    ],
)
def test_error_messages_to_the_letter(old, new, message):
    with pytest.raises(PolicyError) as error:
        parse_policy(_with(old, new), "policy.toml")
    assert str(error.value) == f"policy.toml, {message}"


def test_plans_escalate_unless_they_say_not_to():
    tiers = load_policy(next(p for p in EXAMPLES if p.name.startswith("003")))
    assert not tiers.plans["lite"].escalate and tiers.plans["professional"].escalate
    bare = parse_policy('[plans.a]\n[sla.priorities.priority]\nfirst_response = "1h"\n')
    assert bare.plans["a"].escalate


def test_absent_keys_take_the_dataclass_defaults():
    """The loader's defaults (written as TOML) and the dataclasses' defaults are the same."""
    policy = parse_policy('[plans.a]\n[sla.priorities.priority]\nfirst_response = "1h"\n')
    assert (policy.billing, policy.cancellation, policy.bookings) == (
        Billing(),
        Cancellation(),
        Bookings(),
    )
    assert (policy.fair_use, policy.timers, policy.roles) == (FairUse(), Timers(), Roles())
    assert policy.sla == Sla()
    assert policy.activities == ACTIVITIES
