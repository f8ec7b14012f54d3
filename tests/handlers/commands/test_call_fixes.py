"""Regression tests for the call-timer and /call fixes: dates in the provider's month, old
dates refused, timers past the longest call, notes with `=`. Over signed HTTP, both
databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.customers import get_customer
from bot.reports.statement import build_statement
from store.models import Alert, CallTimer, PhoneCall
from tests.harness import AGENT


def count(database, model) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def calls_rows(slack, month):
    with slack.database.session() as db:
        return build_statement(
            db, slack.policy, get_customer(db, "acme"), *month, slack.clock.now()
        )["calls"]


@pytest.fixture
def acme_channel():
    return "CACME"


# --- an explicit `on <date>` counts in the provider's month of that date ---------------------


def test_call_on_today_just_after_midnight_counts_in_the_new_month(acme):
    slack = acme
    slack.clock.set(datetime(2026, 11, 1, 0, 30, tzinfo=UTC))  # 00:30 Sun 1 Nov in London
    reply = slack.command("/call 2h acme jane on today")
    assert "recorded on Sun 1 Nov" in reply.text
    assert "jane: 2h this month (2026-11)" in reply.text
    assert calls_rows(slack, (2026, 10)) == []
    assert calls_rows(slack, (2026, 11))[0]["seconds"] == 7200


def test_call_dated_by_an_agent_ahead_of_the_provider_counts_in_that_date(acme):
    slack = acme
    slack.standin.add_user(AGENT, "alex", "Pacific/Auckland")
    # 12:00 Sun 1 Nov in Auckland is 23:00 Sat 31 Oct in London
    slack.clock.set(datetime(2026, 10, 31, 23, 0, tzinfo=UTC))
    reply = slack.command("/call 10m acme jane on 2026-11-01")
    assert "recorded on Sun 1 Nov" in reply.text
    assert "this month (2026-11)" in reply.text
    assert calls_rows(slack, (2026, 10)) == []
    assert calls_rows(slack, (2026, 11))[0]["seconds"] == 600
    # an earlier date is placed at noon in the provider's timezone, in that date's month
    reply = slack.command("/call 5m acme jane on 2026-10-01")
    assert "recorded on Thu 1 Oct" in reply.text and "this month (2026-10)" in reply.text
    with slack.database.session() as db:
        starts = sorted(db.scalars(select(PhoneCall.started_at)))
    assert starts[0] == datetime(2026, 10, 1, 11, 0, tzinfo=UTC)  # 12:00 BST


def test_call_without_on_and_on_today_land_in_the_same_providers_month(acme):
    # 00:05 on Sun 1 Nov in London (GMT) is 13:05 in Auckland. A 20-minute call recorded
    # without a date and the same call typed `on today` are both on the provider's today,
    # 1 Nov, as /log puts undated work on the billing day; before, the undated one began at
    # 23:45 on 31 Oct and counted in October while `on today` counted in November.
    slack = acme
    slack.standin.add_user(AGENT, "alex", "Pacific/Auckland")
    slack.clock.set(datetime(2026, 11, 1, 0, 5, tzinfo=UTC))
    undated = slack.command("/call 20m acme jane")
    assert "20m call with jane (acme) recorded —" in undated.text
    assert "jane: 20m this month (2026-11)" in undated.text
    slack.clock.advance(timedelta(seconds=61))  # the same call within 60 s asks first
    typed = slack.command("/call 20m acme jane on today")
    assert "recorded on Sun 1 Nov —" in typed.text
    assert "jane: 40m this month (2026-11)" in typed.text
    assert calls_rows(slack, (2026, 10)) == []
    assert calls_rows(slack, (2026, 11))[0]["seconds"] == 2400
    # `on yesterday` is the provider's Saturday, placed at noon London time.
    reply = slack.command("/call 5m acme jane on yesterday")
    assert "recorded on Sat 31 Oct" in reply.text and "this month (2026-10)" in reply.text


def test_call_without_on_still_ends_now_within_the_day(acme):
    slack = acme
    slack.clock.set(datetime(2026, 11, 1, 12, 30, tzinfo=UTC))
    reply = slack.command("/call 2h acme jane")
    assert "this month (2026-11)" in reply.text
    with slack.database.session() as db:
        assert db.scalar(select(PhoneCall.started_at)) == datetime(2026, 11, 1, 10, 30, tzinfo=UTC)


def test_call_on_today_for_an_agent_behind_the_provider_is_the_providers_today(acme):
    # 00:30 on Sun 1 Nov in London is still Sat 31 Oct in New York: `on today` is London's
    # Sunday (not refused as a future date for the agent), and counts in November.
    slack = acme
    slack.standin.add_user(AGENT, "alex", "America/New_York")
    slack.clock.set(datetime(2026, 11, 1, 0, 30, tzinfo=UTC))
    reply = slack.command("/call 10m acme jane on today")
    assert "recorded on Sun 1 Nov" in reply.text and "this month (2026-11)" in reply.text


# --- dates more than a year back are refused --------------------------------------------------


@pytest.mark.parametrize("day", ["2019-01-05", "2025-11-18"])
def test_call_dated_more_than_366_days_back_is_refused(acme, day):
    slack = acme
    reply = slack.command(f"/call 50m acme jane on {day}")
    assert reply.text.startswith(":warning:") and "366 days" in reply.text, reply.text
    assert "Usage: `/call <duration>" in reply.text
    slack.sweep()
    assert count(slack.database, PhoneCall) == 0 and count(slack.database, Alert) == 0
    assert slack.standin.posted("CACME") == []


def test_call_dated_366_days_back_is_recorded(acme):
    slack = acme
    reply = slack.command("/call 10m acme jane on 2025-11-19")  # today is 2026-11-20
    assert "recorded on Wed 19 Nov" in reply.text
    assert count(slack.database, PhoneCall) == 1


# --- a timer past the longest call: one last reminder with Discard, then silence -------------


def test_timer_past_max_call_gets_one_final_reminder_with_discard(acme):
    slack = acme
    start = slack.clock.now()
    slack.command("/timer start acme jane")
    slack.sweep(at=start + timedelta(hours=1))
    first = slack.standin.posted(AGENT)
    assert len(first) == 1 and "Still on the call?" in first[0]["text"]
    for hours in (8.5, 9.5, 10.5, 11.5, 30):
        slack.sweep(at=start + timedelta(hours=hours))
    dms = slack.standin.posted(AGENT)
    assert len(dms) == 2, [d["text"] for d in dms]
    final = dms[1]
    assert "running 8h 30m, past the longest call allowed (8h)" in final["text"]
    assert "record the real call with `/call <duration> acme jane" in final["text"]
    (button,) = final["blocks"][1]["elements"]
    assert (button["action_id"], button["text"]["text"]) == ("timer_discard", "Discard")
    with slack.database.session() as db:
        assert db.scalar(select(CallTimer.next_reminder_at)) is None
    # the old reminder's Keep running can't start the reminders again
    keep = first[0]["blocks"][1]["elements"][1]
    slack.clock.set(start + timedelta(hours=31))
    slack.action("timer_keep_running", keep["value"])
    assert "/timer discard" in slack.standin.responses[-1]["text"]
    slack.sweep(at=start + timedelta(hours=40))
    assert len(slack.standin.posted(AGENT)) == 2
    # Discard removes the timer and records nothing
    slack.action("timer_discard", button["value"])
    answer = slack.standin.responses[-1]
    assert "Discarded the timer for jane (acme)" in answer["text"], answer
    assert answer["replace_original"] is True
    assert count(slack.database, CallTimer) == 0 and count(slack.database, PhoneCall) == 0
    slack.action("timer_discard", button["value"])
    assert "no longer running" in slack.standin.responses[-1]["text"]
    slack.sweep(at=start + timedelta(hours=50))
    assert len(slack.standin.posted(AGENT)) == 2


def test_a_stale_discard_button_cannot_discard_a_newer_timer(acme):
    slack = acme
    start = slack.clock.now()
    slack.command("/timer start acme jane")
    slack.sweep(at=start + timedelta(hours=9))
    (final,) = slack.standin.posted(AGENT)
    (button,) = final["blocks"][1]["elements"]
    slack.clock.set(start + timedelta(hours=9, minutes=5))
    slack.command("/timer discard")
    slack.command("/timer start acme bob")
    slack.action("timer_discard", button["value"])
    assert "no longer running" in slack.standin.responses[-1]["text"]
    assert count(slack.database, CallTimer) == 1
    assert "bob (acme)" in slack.command("/timer status").text


# --- only q= is an option; any other `=` is note text -----------------------------------------


def test_notes_may_contain_equals_signs(acme):
    slack = acme
    reply = slack.command("/call 10m acme jane reset pwd=abc q=4")
    assert "recorded (quality 4/5)" in reply.text, reply.text
    slack.command("/timer start acme bob")
    slack.clock.advance(timedelta(minutes=5))
    reply = slack.command("/timer stop set x=1 then fixed")
    assert "5m call with bob (acme) recorded" in reply.text, reply.text
    with slack.database.session() as db:
        notes = sorted(db.scalars(select(PhoneCall.note)))
    assert notes == ["reset pwd=abc", "set x=1 then fixed"]


@pytest.mark.parametrize(
    "line", ["/call 10m acme jane reset pwd=abc q=9", "/call 10m acme jane q=1 q=2"]
)
def test_a_bad_quality_is_still_refused(acme, line):
    reply = acme.command(line)
    assert reply.text.startswith(":warning:"), reply.text
    assert count(acme.database, PhoneCall) == 0


def test_a_bad_quality_on_stop_keeps_the_timer(acme):
    slack = acme
    slack.command("/timer start acme jane")
    slack.clock.advance(timedelta(minutes=5))
    assert "quality score (q=)" in slack.command("/timer stop x=1 q=7").text
    assert count(slack.database, CallTimer) == 1 and count(slack.database, PhoneCall) == 0
