"""Policy versions (issue 16) over signed HTTP: a change effective on the 1st leaves last
month's statement and the tickets opened before it as they were; a start-up refuses an edit
that reaches a day already past. Both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import ConfigError
from bot.policy.loader import default_policy_text, parse_policy
from bot.reports.policy_record import check_recorded
from tests.harness import AGENT, MANAGER, SlackApp

DECEMBER = """
[[versions]]
effective_from = "2026-12-01"
provider.hourly_rate = "120.00"
[versions.billing]
increment = "15m"
[versions.sla.priorities.immediate]
first_response = "30m"
"""
VERSIONED = default_policy_text() + DECEMBER
DEC_2 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def restart(slack: SlackApp, text: str) -> SlackApp:
    """The provider edits the policy file and restarts: the same database, a new app."""
    slack.close()
    return SlackApp(slack.database, parse_policy(text, "policy.toml"), slack.standin, slack.clock)


def test_a_december_rate_and_rounding_change_leaves_novembers_statement_unchanged(acme):
    assert "overage, 90.00 GBP" in acme.command("/log 35m acme", AGENT).text  # Fri 20 Nov
    acme.clock.set(DEC_2)
    november = acme.command("/hourglass report acme 2026-11", MANAGER).text
    assert "1h" in november and "90.00 GBP" in november
    after = restart(acme, VERSIONED)
    try:
        assert after.command("/hourglass report acme 2026-11", MANAGER).text == november
        # December's work: 20m rounded to 15-minute increments, priced at 120.00 an hour.
        logged = after.command("/log 20m acme", AGENT).text
        assert "20m logged → 30m billed (15-minute increments" in logged
        assert "overage, 60.00 GBP at 120.00 GBP/h" in logged
    finally:
        after.close()


def test_a_ticket_keeps_the_target_it_was_opened_under(acme):
    acme.clock.set(datetime(2026, 11, 30, 23, 0, tzinfo=UTC))
    acme.command("/ticket open acme immediate Production is down")
    acme.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    after = restart(acme, VERSIONED)
    try:
        after.command("/ticket open acme immediate Down again")
        before_change = after.command("/ticket why #1").text
        assert "1h" in before_change and "00:00" in before_change  # 30 Nov 23:00 + 1h
        since_change = after.command("/ticket why #2").text
        assert "30m" in since_change and "09:30" in since_change
    finally:
        after.close()


# --- the start-up check ------------------------------------------------------------------------


def test_start_up_refuses_an_edit_to_a_version_already_in_force(database):
    with database.session() as db:
        check_recorded(db, parse_policy(VERSIONED, "policy.toml"), DEC_2)
    edited = VERSIONED.replace('"120.00"', '"130.00"')
    with pytest.raises(ConfigError) as refused, database.session() as db:
        check_recorded(db, parse_policy(edited, "policy.toml"), DEC_2)
    assert str(refused.value) == (
        "policy.toml: provider.hourly_rate changed from 2026-12-01, a day already past; put "
        "the change in a [[versions]] table effective from a day to come, or re-rate the past "
        "with `hourglass policy rerate --from 2026-12-01`"
    )
    base_edit = VERSIONED.replace('training_rate = "60.00"', 'training_rate = "65.00"', 1)
    base_refused = pytest.raises(ConfigError, match="training_rate changed from the beginning")
    with base_refused, database.session() as db:
        check_recorded(db, parse_policy(base_edit, "policy.toml"), DEC_2)


def test_start_up_accepts_a_new_version_and_edits_to_one_not_yet_in_force(database):
    january = (
        VERSIONED
        + '\n[[versions]]\neffective_from = "2027-01-01"\nprovider.hourly_rate = "125.00"\n'
    )
    with database.session() as db:
        check_recorded(db, parse_policy(VERSIONED, "policy.toml"), DEC_2)
    with database.session() as db:
        check_recorded(db, parse_policy(january, "policy.toml"), DEC_2)
    with database.session() as db:
        check_recorded(db, parse_policy(january.replace("125.00", "150.00"), "p"), DEC_2)
    later = datetime(2027, 1, 2, tzinfo=UTC)
    refused = pytest.raises(ConfigError, match="hourly_rate changed from 2027-01-01")
    with refused, database.session() as db:
        check_recorded(db, parse_policy(january, "policy.toml"), later)


CALENDAR_AND_TARGET = """
[[versions]]
effective_from = "2026-12-01"
[versions.calendars.always]
timezone = "Europe/London"
hours = { weekdays = "09:00-17:00" }
[versions.sla.priorities.immediate]
first_response = "2h"
"""


def test_a_december_calendar_and_target_change_leaves_novembers_sla_unchanged(acme):
    # Fri 20 Nov 20:00, answered 21:30: 1h 30m of the 24/7 calendar, over the 1h target.
    acme.clock.set(datetime(2026, 11, 20, 20, 0, tzinfo=UTC))
    acme.command("/ticket open acme immediate Production is down")
    acme.clock.set(datetime(2026, 11, 20, 21, 30, tzinfo=UTC))
    acme.command("/ticket respond #1")
    acme.clock.set(DEC_2)
    november = acme.command("/hourglass report acme 2026-11", MANAGER).text
    sla = acme.command("/hourglass sla acme 2026-11", MANAGER).text
    assert "SLA: 1 ticket, 1 responded, 1 breached, 0.0% within target" in november
    assert "p50 1h 30m" in sla
    # Under December's rules (weekday 09:00-17:00, a 2h target) the same reply would be met.
    after = restart(acme, default_policy_text() + CALENDAR_AND_TARGET)
    try:
        assert after.command("/hourglass report acme 2026-11", MANAGER).text == november
        assert after.command("/hourglass sla acme 2026-11", MANAGER).text == sla
        why = after.command("/ticket why #1").text
        assert "target 1h (internal 45m)" in why and "calendar always" in why
        assert "First response breached at Fri 20 Nov 21:00 GMT (30m over)" in why
    finally:
        after.close()


ONE_RULE_FROM_DECEMBER = {
    "rate": '[[versions]]\neffective_from = "2026-12-01"\nprovider.hourly_rate = "120.00"\n',
    "rounding": '[[versions]]\neffective_from = "2026-12-01"\n[versions.billing]\nincrement = "15m"\n',
    "calendar": (
        '[[versions]]\neffective_from = "2026-12-01"\n[versions.calendars.always]\n'
        'timezone = "Europe/London"\nhours = { weekdays = "09:00-17:00" }\n'
    ),
    "target": (
        '[[versions]]\neffective_from = "2026-12-01"\n'
        '[versions.sla.priorities.immediate]\nfirst_response = "2h"\n'
    ),
}


@pytest.mark.parametrize("rule", sorted(ONE_RULE_FROM_DECEMBER))
def test_each_rule_changed_in_december_leaves_november_as_it_was(acme, rule):
    """One test per rule (issue 16): each December change alone would move November's
    figures if November were re-derived with it; none does."""
    assert "overage, 90.00 GBP" in acme.command("/log 35m acme", AGENT).text  # 1h billed
    acme.clock.set(datetime(2026, 11, 20, 20, 0, tzinfo=UTC))
    acme.command("/ticket open acme immediate Production is down")
    acme.clock.set(datetime(2026, 11, 20, 21, 30, tzinfo=UTC))  # 1h 30m later: breached
    acme.command("/ticket respond #1")
    acme.clock.set(DEC_2)
    november = acme.command("/hourglass report acme 2026-11", MANAGER).text
    assert "Billed: 1h; overage 1h; amount due 90.00 GBP" in november
    assert "1 breached" in november
    after = restart(acme, default_policy_text() + ONE_RULE_FROM_DECEMBER[rule])
    try:
        assert after.command("/hourglass report acme 2026-11", MANAGER).text == november
    finally:
        after.close()


def test_a_version_from_a_day_to_come_changes_nothing_before_that_day(acme):
    """Rules about "now" (an alert's words, the limits a command checks) read the version
    in force now, not the newest in the file (issue 16)."""
    later = '[[versions]]\neffective_from = "2026-12-01"\nprovider.training_rate = "99.00"\n'
    before = restart(acme, default_policy_text() + later)  # on Fri 20 Nov
    try:
        before.command("/call 16m acme jane")
        before.sweep()
        posted = [c.params["text"] for c in before.standin.calls_to("chat.postMessage")]
        long_call = next(text for text in posted if "*Long call*" in text)
        assert "Training sessions are 60.00 GBP per hour" in long_call
        before.clock.set(DEC_2)
        before.command("/call 17m acme joe")
        before.sweep()
        posted = [c.params["text"] for c in before.standin.calls_to("chat.postMessage")]
        assert any("joe" in text and "99.00 GBP per hour" in text for text in posted)
    finally:
        before.close()
