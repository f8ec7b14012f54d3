"""Issue 19 items 3-5 replayed over signed HTTP: dates that cannot be wrong silently, input
as people type it, and help on every command.

The clock stands at Fri 20 Nov 2026 10:00 UTC; the agents' Slack timezone is Europe/London.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from bot.policy.loader import load_policy
from store.models import Booking, HourBlock, PhoneCall, TimeEntry
from tests.harness import AGENT, MANAGER, STRANGER


@pytest.fixture
def policy(request):
    """The bundled policy; `indirect` parametrization sets its date_order."""
    bundled = load_policy(None)
    order = getattr(request, "param", None)
    return replace(bundled, date_order=order) if order else bundled


def entries(slack) -> list[tuple[int, date, str | None]]:
    with slack.database.session() as db:
        rows = db.scalars(select(TimeEntry).order_by(TimeEntry.id))
        return [(e.minutes, e.work_date, e.note) for e in rows]


# --- Item 3: dates that cannot be wrong silently ----------------------------------------------


def test_a_bare_date_after_the_customer_is_the_date_and_the_receipt_shows_it(acme):
    reply = acme.command("/log 30m acme yesterday", AGENT)
    assert "Logged 30m 1-on-1 for acme on Thu 19 Nov." in reply.text
    assert "acme, Thu 19 Nov: 30m logged → 30m billed" in reply.text
    assert entries(acme) == [(30, date(2026, 11, 19), None)]


@pytest.mark.parametrize(
    ("words", "day", "shown"),
    [
        ("on monday", date(2026, 11, 16), "Mon 16 Nov"),
        ("monday", date(2026, 11, 16), "Mon 16 Nov"),
        ("13 Nov", date(2026, 11, 13), "Fri 13 Nov"),
        ("on 13 Nov", date(2026, 11, 13), "Fri 13 Nov"),
        ("13/11/2026", date(2026, 11, 13), "Fri 13 Nov"),
        ("today", date(2026, 11, 20), "Fri 20 Nov"),
    ],
)
def test_typed_dates_land_on_their_day(acme, words, day, shown):
    reply = acme.command(f"/log 30m acme {words} call with jane", AGENT)
    assert f'for acme on {shown}: "call with jane".' in reply.text, reply.text
    assert entries(acme) == [(30, day, "call with jane")]


@pytest.mark.parametrize("policy", ["MDY"], indirect=True)
def test_numeric_dates_follow_the_policys_date_order(acme):
    acme.command("/log 30m acme 11/13/2026", AGENT)
    assert entries(acme) == [(30, date(2026, 11, 13), None)]
    refused = acme.command("/log 30m acme 13/11/2026", AGENT)
    assert "`13/11/2026` is not a date" in refused.text
    assert len(entries(acme)) == 1


def test_a_note_that_starts_with_a_date_word_is_quoted_or_given_as_note(acme):
    acme.command('/log 30m acme "monday\'s outage follow-up"', AGENT)
    acme.command("/log 30m acme note=yesterday's ticket", AGENT)
    assert entries(acme) == [
        (30, date(2026, 11, 20), "monday's outage follow-up"),
        (30, date(2026, 11, 20), "yesterday's ticket"),
    ]


@pytest.mark.parametrize("typed", ["on 2016-12-01", "on 1999-01-01", "2016-12-01"])
def test_more_than_366_days_back_is_refused_with_the_reason(acme, typed):
    reply = acme.command(f"/log 30m acme {typed}", AGENT)
    assert "is more than 366 days ago; work can be recorded back to 2025-11-19" in reply.text
    assert "Usage: `/log" in reply.text
    assert entries(acme) == []


def test_a_date_before_the_customer_was_added_is_refused(slack):
    slack.command("/hourglass customer add globex plan=professional", MANAGER)
    reply = slack.command("/log 30m globex yesterday", AGENT)
    assert (
        "Globex was added on 2026-11-20; work cannot be recorded on 2026-11-19, before that"
        in reply.text
    )
    call = slack.command("/call 10m globex jane yesterday", AGENT)
    assert "a call cannot be recorded on 2026-11-19, before that" in call.text
    assert entries(slack) == []


def test_a_date_in_another_year_shows_its_year(acme):
    reply = acme.command("/log 30m acme on 2025-12-01", AGENT)
    assert "Logged 30m 1-on-1 for acme on Mon 1 Dec 2025." in reply.text
    assert "acme, Mon 1 Dec 2025: 30m logged" in reply.text
    listed = acme.command("/log list on 2025-12-01", AGENT)
    assert "Your time on Mon 1 Dec 2025" in listed.text
    for typed in ("1 Dec 2025", "on 1 Dec 2025", "01/12/2025"):
        assert "Your time on Mon 1 Dec 2025" in acme.command(f"/log list {typed}", AGENT).text


def test_call_takes_the_same_bound_and_a_bare_date(acme):
    acme.command("/hourglass customer set acme phone=on", MANAGER)
    ok = acme.command("/call 25 mins acme jane yesterday q=4 licence question", AGENT)
    assert "on Thu 19 Nov" in ok.text, ok.text
    with acme.database.session() as db:
        [call] = db.scalars(select(PhoneCall))
        assert (call.seconds, call.note) == (25 * 60, "licence question")
    old = acme.command("/call 10m acme jane on 2016-12-01", AGENT)
    assert "is more than 366 days ago; a call can be recorded back to" in old.text


# --- Item 4: input as people type it ----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("1h30", 90),
        ("1h 30m", 90),
        ("90m", 90),
        ("90min", 90),
        ("1.5h", 90),
        ("1,5h", 90),
        ("2 hours", 120),
        ("30 mins", 30),
        ("45 minutes", 45),
        ("30min", 30),
    ],
)
def test_durations_as_people_type_them(acme, typed, minutes):
    reply = acme.command(f"/log {typed} acme setup", AGENT)
    assert reply.text.startswith(":white_check_mark: Logged"), reply.text
    assert entries(acme) == [(minutes, date(2026, 11, 20), None)]
    with acme.database.session() as db:
        assert db.scalar(select(TimeEntry.activity)) == "setup"


def test_a_bare_number_is_refused_with_a_hint(acme):
    reply = acme.command("/log 90 acme", AGENT)
    assert reply.text.startswith(":warning: 90 what? Try 90m")
    assert entries(acme) == []


@pytest.mark.parametrize("typed", ["10h", "10", "10 hours", "600m"])
def test_hours_add_takes_hours_as_people_type_them(acme, typed):
    reply = acme.command(f"/hourglass hours add acme {typed}", MANAGER)
    assert "Added block #1 for *acme*: 10h bought" in reply.text, reply.text
    with acme.database.session() as db:
        assert db.scalar(select(HourBlock.minutes)) == 600


def test_a_booking_at_3pm_on_a_weekday(acme):
    reply = acme.command("/book acme monday 3pm 1h", AGENT)
    assert "Mon 23 Nov" in reply.text and "15:00" in reply.text, reply.text
    with acme.database.session() as db:
        [booking] = db.scalars(select(Booking))
        assert booking.start_at.hour == 15  # London is on UTC in November


def test_a_ticket_opened_yesterday_at_3pm(acme):
    reply = acme.command("/ticket open acme priority Login fails opened yesterday 3pm", AGENT)
    assert "#1" in reply.text and "19 Nov" in reply.text and "15:00" in reply.text, reply.text


# --- Item 5: help everywhere ------------------------------------------------------------------

COMMANDS = ["/log", "/call", "/book", "/ticket", "/timer", "/balance", "/hourglass"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command_gives_its_usage_and_two_examples(acme, command):
    text = acme.command(f"{command} help", AGENT).text
    assert "Usage: `/" in text, text
    examples = re.search(r"Examples: (.*)", text)
    assert examples is not None, text
    assert len(re.findall(r"`/[^`]+`", examples.group(1))) == 2, text


def test_help_through_hourglass_is_shown_as_typed(acme):
    text = acme.command("/hourglass log help", AGENT).text
    assert text.startswith("Usage: `/hourglass log <duration> <customer>")
    assert "`/hourglass log 30m acme`" in text


def test_a_subcommand_followed_by_help_gives_its_usage(acme):
    text = acme.command("/ticket resolve help", AGENT).text
    assert text.startswith("Usage: `/ticket resolve <ticket-id>`")
    assert "Examples:" in text


def test_balance_help_is_help_not_a_customer(acme):
    text = acme.command("/balance help", AGENT).text
    assert "There is no customer" not in text
    assert text.startswith("Usage: `/balance <customer>`")


def test_empty_commands_without_a_form_give_help(acme):
    assert acme.command("/balance", AGENT).text.startswith("Usage: `/balance <customer>`")
    timer = acme.command("/timer", AGENT).text
    assert "No timer is running." in timer and "Examples: `/timer start acme jane`" in timer


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("/log lst", "`lst` is not a `/log` command; did you mean `/log list`?"),
        ("/log delete", "did you mean `/log undo`?"),
        ("/ticket close 2", "`close` is not a `/ticket` command; did you mean `/ticket resolve`?"),
        ("/ticket lst", "did you mean `/ticket list`?"),
        ("/book lst", "did you mean `/book list`?"),
        ("/timer stpo", "did you mean `/timer stop`?"),
        ("/hourglass custmer add x plan=lite", "did you mean `/hourglass customer add`?"),
        ("/hourglass log lst", "did you mean `/hourglass log list`?"),
        ("/hourglass lgo 30m acme", "did you mean `/hourglass log`?"),
    ],
)
def test_an_unknown_subcommand_suggests_the_nearest(acme, typed, suggestion):
    reply = acme.command(typed, MANAGER)
    assert suggestion in reply.text, reply.text


def test_a_user_without_a_role_is_told_their_own_id(acme):
    reply = acme.command("/log help", STRANGER)
    assert (
        f"Ask a manager to run `/hourglass role add <@{STRANGER}> agent` (your id is {STRANGER})."
        in reply.text
    )


# --- The forms say the same, on the date field ------------------------------------------------


def test_the_forms_refuse_a_day_before_the_customer_was_added_on_the_date_field(slack):
    from tests.handlers.commands.test_modals import day, log_values, picked, submission, typed

    slack.command("/hourglass customer add globex plan=professional", MANAGER)
    values = log_values(customer="globex", on="2026-11-19")
    log = slack.interaction(submission("log_time", values))
    assert "Globex was added on 2026-11-20" in log.body["errors"]["date"], log.raw
    call = {
        "customer": picked("globex", "customer_search"),
        "caller": typed("jane"),
        "duration": typed("10m"),
        "date": day("2026-11-19"),
    }
    reply = slack.interaction(submission("record_call", call))
    assert "a call cannot be recorded on 2026-11-19" in reply.body["errors"]["date"], reply.raw
    assert entries(slack) == []
