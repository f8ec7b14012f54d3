"""Policy versions (issue 16): the `[[versions]]` tables, `policy.at(day)`, pricing by the
version of each day, and what counts as a change to the past."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.policy.loader import default_policy_text, parse_policy
from bot.policy.pricing import hourly_rate, price_by_day, training_rate
from bot.policy.reader import PolicyError
from bot.policy.versions import past_change, recorded_form

BASE = '[provider]\nhourly_rate = "90.00"\n[plans.lite]\n[sla.priorities.priority]\nfirst_response = "4h"\n'
VERSIONS = (
    BASE
    + '\n[[versions]]\neffective_from = "2026-12-01"\nprovider.training_rate = "80.00"\n'
    + '[versions.billing]\nincrement = "15m"\n'
    + "\n[[versions]]\neffective_from = 2027-01-01\n"
    + '[versions.sla.priorities.priority]\nfirst_response = "2h"\n'
)


def test_a_file_without_versions_is_one_version_from_the_beginning():
    policy = parse_policy(default_policy_text())
    assert policy.at(date(1999, 1, 1)) is policy
    assert policy.effective_from is None and len(policy.history.versions) == 1


def test_each_version_changes_only_its_keys_from_its_date():
    policy = parse_policy(VERSIONS, "p.toml")
    november, december, january = (policy.at(date(2026, m, 30)) for m in (11,)), None, None
    november = policy.at(date(2026, 11, 30))
    december = policy.at(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    january = policy.at(date(2027, 1, 1))
    assert policy is january and january.at(date(2026, 11, 1)) is november
    assert (november.training_rate, december.training_rate) == (Decimal("60.00"), Decimal("80.00"))
    assert november.billing.rounding.increment_minutes == 30
    assert january.billing.rounding.increment_minutes == 15  # carried over from December
    targets = [
        v.plans["lite"].priorities["priority"].first_response.seconds for v in (december, january)
    ]
    assert targets == [4 * 3600, 2 * 3600]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (
            'effective_from = "soon"',
            "p.toml (version 1), line 7: effective_from: 'soon' is not a date",
        ),
        ('provider.hourly_rate = "90"', "p.toml (version 1): effective_from: missing"),
        (
            'effective_from = "2026-12-01"\nprovider.timezone = "UTC"',
            "p.toml (version 1), line 8: provider.timezone: is one for the whole file",
        ),
        (
            'effective_from = "2026-12-01"\nbilling.increment = "7x"',
            "p.toml (version from 2026-12-01), line 8: billing.increment: `7x` is not a duration",
        ),
    ],
)
def test_a_bad_version_is_named_with_its_line(version, message):
    with pytest.raises(PolicyError) as error:
        parse_policy(BASE + "[[versions]]\n" + version + "\n", "p.toml")
    assert message in str(error.value)


def test_versions_must_come_in_date_order():
    text = VERSIONS.replace("2027-01-01", "2026-11-01")
    with pytest.raises(PolicyError, match="must come after the version before"):
        parse_policy(text, "p.toml")


def test_each_day_is_priced_at_its_versions_rate_and_one_rate_is_priced_once():
    policy = parse_policy(VERSIONS, "p.toml")
    days = [(date(2026, 11, 30), 20), (date(2026, 12, 1), 20), (date(2026, 12, 2), 10)]
    assert price_by_day(policy, days, training_rate) == Decimal("20.00") + Decimal("40.00")
    assert price_by_day(policy, days, hourly_rate) == Decimal("75.00")
    assert price_by_day(policy, [(date(2026, 11, 2), 1)] * 3, hourly_rate) == Decimal("4.50")


def test_a_change_reaches_the_past_only_where_a_day_already_begun_would_differ():
    old = [
        (None, {"provider": {"hourly_rate": "90"}}),
        (date(2026, 12, 1), {"provider": {"hourly_rate": "120"}}),
    ]
    new = [
        (None, {"provider": {"hourly_rate": "90"}}),
        (date(2026, 12, 1), {"provider": {"hourly_rate": "125"}}),
    ]
    assert past_change(old, new, date(2026, 11, 30)) is None
    assert past_change(old, new, date(2026, 12, 1)) == ("provider.hourly_rate", date(2026, 12, 1))
    moved = [old[0], (date(2026, 12, 2), old[1][1])]
    assert past_change(old, moved, date(2026, 12, 5)) == ("provider.hourly_rate", date(2026, 12, 1))


def test_roles_and_reminders_may_change_at_any_time():
    before = recorded_form(
        {
            "roles": {"managers": ["U1"]},
            "timers": {},
            "provider": {"name": "A", "hourly_rate": "90"},
        }
    )
    assert before == {"provider": {"hourly_rate": "90"}}


def test_the_forecasts_alerts_and_digest_may_change_at_any_time():
    """[insights] (issue 13) says when forecasts alert and where the digest goes: no figure
    changes, so setting a digest channel never needs a re-rate."""
    with_digest = {"provider": {"hourly_rate": "90"}, "insights": {"digest_channel": "CMGR"}}
    assert recorded_form(with_digest) == {"provider": {"hourly_rate": "90"}}
