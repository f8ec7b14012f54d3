"""/timer and /call over signed HTTP, the fair-use alerts, the buttons and App Home."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.customers import get_customer
from bot.reports.statement import build_statement
from store.models import Alert, CallTimer, PhoneCall
from tests.factories import ACME_TEAM
from tests.harness import AGENT, MANAGER, STRANGER


def count(database, model) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def alert_keys(database) -> list[str]:
    with database.session() as db:
        return sorted(db.scalars(select(Alert.key)))


def calls_rows(slack, customer="acme", month=(2026, 11)):
    with slack.database.session() as db:
        return build_statement(
            db, slack.policy, get_customer(db, customer), *month, slack.clock.now()
        )["calls"]


@pytest.fixture
def acme_channel():
    return "CACME"


def spaced(slack, lines):
    """Each command a minute after the last, as a person records calls: the same call
    within 60 s asks first (issue 18 item 6)."""
    replies = []
    for line in lines:
        replies.append(slack.command(line))
        slack.clock.advance(timedelta(seconds=61))
    return replies


def test_done_when_five_calls_make_61_minutes_review_one_long_call_alerts_once(acme):
    slack = acme
    replies = spaced(slack, [f"/call {m}m acme jane" for m in (16, 14, 14, 2, 15)])
    assert all(r.status == 200 for r in replies)
    assert "long call" in replies[0].text and "long call" not in replies[4].text
    assert "jane: 16m this month (2026-11) of 45m allowance — within allowance" in (replies[0].text)
    assert "jane: 46m this month (2026-11) of 45m allowance — over allowance." in (replies[3].text)
    assert (
        "jane: 1h 1m this month (2026-11) of 45m allowance — over allowance, flagged for review"
        in replies[4].text
    )
    assert calls_rows(slack) == [
        {
            "caller": "jane",
            "calls": 5,
            "seconds": 3660,
            "long_calls": 1,
            "allowance_minutes": 45,
            "status": "review",
            "avg_quality": None,
        }
    ]
    for minutes in (1, 2, 3):
        slack.sweep(at=slack.clock.now() + timedelta(minutes=minutes))
    # Fair use and long calls are internal: the team's channel, never the customer's.
    assert slack.standin.posted("CACME") == []
    posted = [m["text"] for m in slack.standin.posted(ACME_TEAM)]
    assert len(posted) == 5, posted
    assert sum("Long call" in t and "16m" in t for t in posted) == 1
    assert sum("Phone allowance used" in t and "jane" in t for t in posted) == 1
    assert sum("Fair use review" in t and "jane" in t for t in posted) == 1
    # one seat: the account crosses the same lines, once each
    assert sum("Phone allowance used" in t and "account" in t for t in posted) == 1
    assert sum("Fair use review" in t and "account" in t for t in posted) == 1
    assert alert_keys(slack.database) == sorted(
        [
            "long_call:1",
            "fair_use_allowance:1:jane:2026-11",
            "fair_use_review:1:jane:2026-11",
            "fair_use_allowance:1:@account:2026-11",
            "fair_use_review:1:@account:2026-11",
        ]
    )


def test_long_call_alert_has_a_book_training_button_that_opens_the_form(acme):
    slack = acme
    slack.command("/call 16m acme jane")
    slack.sweep()
    assert slack.standin.posted("CACME") == []  # internal: the team's channel only
    (message,) = slack.standin.posted(ACME_TEAM)
    button = message["blocks"][1]["elements"][0]
    assert button["action_id"] == "fair_use_book_training" and button["value"] == "acme"
    slack.standin.fail_next("views.open", "expired_trigger_id")  # no form: say how to type it
    reply = slack.action("fair_use_book_training", "acme")
    assert reply.status == 200
    (answer,) = slack.standin.responses_to["action"]
    assert "/book acme <date time> 1h training" in answer["text"]
    assert "60.00 GBP per hour" in answer["text"]
    assert answer["response_type"] == "ephemeral"
    # With the form open (issue 17 item 6) nothing needs typing: tests/.../test_modals.py


def test_timer_start_status_stop_with_quality(acme):
    slack = acme
    reply = slack.command("/timer start acme jane printer setup")
    assert ":stopwatch: Timer started for a call with jane (acme) at 10:00" in reply.text
    slack.clock.advance(timedelta(minutes=16, seconds=30))
    assert "16m 30s since 10:00 — printer setup" in slack.command("/timer status").text
    reply = slack.command("/timer stop q=4 solved")
    assert "17m call with jane (acme) recorded (quality 4/5) — a *long call* (over 15m)" in (
        reply.text
    )
    assert "jane: 17m this month (2026-11) of 45m allowance — within allowance" in reply.text
    with slack.database.session() as db:
        call = db.scalar(select(PhoneCall))
        assert (call.seconds, call.quality, call.source, call.note, call.covered) == (
            990,
            4,
            "timer",
            "printer setup — solved",
            True,
        )
        assert call.started_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert count(slack.database, CallTimer) == 0
    assert "No timer is running" in slack.command("/timer stop").text
    assert calls_rows(slack)[0]["avg_quality"] == 4.0


def test_second_start_names_the_running_timer_and_changes_nothing(acme):
    slack = acme
    slack.command("/timer start acme jane")
    slack.clock.advance(timedelta(minutes=3))
    reply = slack.command("/timer start acme bob")
    assert "Your timer for jane (acme) is already running (3m)" in reply.text
    with slack.database.session() as db:
        (timer,) = db.scalars(select(CallTimer))
        assert timer.caller == "jane"


def test_discard_says_what_was_discarded_and_records_nothing(acme):
    slack = acme
    slack.command("/timer start acme jane")
    slack.clock.advance(timedelta(minutes=2, seconds=5))
    reply = slack.command("/timer discard")
    assert "Discarded the timer for jane (acme) after 2m 05s; no call was recorded" in reply.text
    assert count(slack.database, CallTimer) == 0 and count(slack.database, PhoneCall) == 0
    assert "nothing to discard" in slack.command("/timer discard").text


def test_two_stops_at_once_record_one_call(acme):
    slack = acme
    slack.command("/timer start acme jane")
    slack.clock.advance(timedelta(minutes=20))
    replies = []
    barrier = threading.Barrier(2)

    def stop():
        barrier.wait()
        replies.append(slack.command("/timer stop"))

    threads = [threading.Thread(target=stop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted("recorded" in r.text for r in replies) == [False, True]
    assert any("No timer is running" in r.text for r in replies)
    assert count(slack.database, PhoneCall) == 1
    assert count(slack.database, CallTimer) == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/call 0m acme jane", "longer than zero"),
        ("/call 0:00 acme jane", "longer than zero"),
        ("/call -5m acme jane", "not a duration"),
        ("/call 9h acme jane", "longer than the longest call"),
        ("/call ten acme jane", "not a duration"),
        ("/call 99999999999999h acme jane", "far too long"),
        ("/call 10m nobody jane", "no customer called `nobody`"),
        ("/call 10m acme", "give a duration, a customer and the caller"),
        ("/call 10m acme jane';drop", "not a valid caller name"),
        ("/call 10m acme jane on tomorrow", "future date"),
        ("/call 10m acme jane on 2026-13-01", "not a date"),
        ("/call 10m acme jane on", "`on` needs a date"),
        ("/call 10m acme jane q=6", "quality score (q=) must be from 1 to 5"),
        ("/call 10m acme jane q=x", "quality score (q=) must be from 1 to 5"),
        ("/timer start nobody jane", "no customer called"),
        ("/timer start acme", "give a customer and the caller"),
        ("/timer begin acme jane", "did you mean `/timer start`?"),
    ],
)
def test_refused_inputs_change_nothing(acme, line, message):
    slack = acme
    reply = slack.command(line)
    assert reply.text.startswith(":warning:"), reply.text
    assert message.lower() in reply.text.lower()
    assert count(slack.database, PhoneCall) == 0
    assert count(slack.database, CallTimer) == 0
    assert count(slack.database, Alert) == 0


def test_bad_stop_options_keep_the_timer_running(acme):
    slack = acme
    slack.command("/timer start acme jane")
    slack.clock.advance(timedelta(minutes=5))
    for line in ("/timer stop q=0", "/timer stop q=9", "/timer stop q=2 q=3"):
        assert slack.command(line).text.startswith(":warning:")
    assert count(slack.database, PhoneCall) == 0
    assert count(slack.database, CallTimer) == 1
    assert "recorded" in slack.command("/timer stop q=5").text


def test_a_timer_left_past_max_call_is_refused_not_recorded(acme):
    slack = acme
    slack.command("/timer start acme jane")
    slack.clock.advance(timedelta(hours=9))
    reply = slack.command("/timer stop")
    assert "longer than the longest call allowed (8h)" in reply.text
    assert count(slack.database, PhoneCall) == 0 and count(slack.database, CallTimer) == 1


def test_stranger_cannot_time_calls(acme):
    reply = acme.command("/timer start acme jane", STRANGER)
    assert "only support agents and managers" in reply.text
    assert count(acme.database, CallTimer) == 0


def test_month_is_the_providers_month_across_bst(acme):
    slack = acme
    # 23:30 UTC on 31 March 2026 is 00:30 BST on 1 April in London: an April call.
    slack.clock.set(datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    slack.command("/timer start acme jane")
    slack.clock.advance(timedelta(minutes=10))
    assert "this month (2026-04)" in slack.command("/timer stop").text
    # 23:30 UTC on 31 October 2026 is 23:30 GMT in London: still October.
    slack.clock.set(datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    slack.command("/timer start acme jane")
    slack.clock.advance(timedelta(minutes=10))
    assert "this month (2026-10)" in slack.command("/timer stop").text
    assert calls_rows(slack, month=(2026, 3)) == []
    assert calls_rows(slack, month=(2026, 4))[0]["seconds"] == 600
    assert calls_rows(slack, month=(2026, 10))[0]["seconds"] == 600


def test_call_on_an_earlier_date_counts_in_that_month(acme):
    slack = acme
    reply = slack.command("/call 50m acme jane on 2026-10-30 setup help")
    assert "recorded on Fri 30 Oct" in reply.text and "this month (2026-10)" in reply.text
    assert "over allowance" in reply.text
    assert calls_rows(slack)[:1] == []
    assert calls_rows(slack, month=(2026, 10))[0]["status"] == "over_allowance"
    reply = slack.command("/call 5m acme jane on yesterday")
    assert "jane: 5m this month (2026-11)" in reply.text


def test_seats_multiply_the_account_allowance(slack):
    slack.command(
        "/hourglass customer add acme plan=professional channel=<#CACME|acme> seats=2", MANAGER
    )
    slack.command("/call 61m acme jane")
    keys = alert_keys(slack.database)
    assert "fair_use_review:1:jane:2026-11" in keys
    assert not any("@account" in key for key in keys)  # 61m of 90m for two seats
    reply = slack.command("/call 30m acme bob")
    assert "acme account: 1h 31m of 1h 30m (2 seats) — over allowance." in reply.text
    keys = alert_keys(slack.database)
    assert "fair_use_allowance:1:@account:2026-11" in keys
    assert "fair_use_review:1:@account:2026-11" not in keys


def test_plan_without_phone_support_records_an_uncovered_call(slack):
    slack.command("/hourglass customer add globex plan=lite channel=<#CGLOBEX|globex>", MANAGER)
    reply = slack.command("/call 70m globex joe")
    assert "*not covered* by the lite plan" in reply.text
    with slack.database.session() as db:
        assert db.scalar(select(PhoneCall.covered)) is False
    assert count(slack.database, Alert) == 0
    assert calls_rows(slack, "globex")[0]["status"] == "not_covered"
    assert "does not include phone support" in slack.command("/timer start globex joe").text


def test_balance_shows_this_months_calls_per_caller(acme):
    slack = acme
    spaced(slack, [f"/call {minutes}m acme jane" for minutes in (16, 14, 14, 2, 15)])
    slack.command("/call 5m acme bob")
    text = slack.command("/balance acme").text
    assert "Phone calls in 2026-11:" in text
    assert "• bob: 1 call, 5m of 45m — within allowance" in text
    assert "• jane: 5 calls, 1h 1m of 45m — over allowance, flagged for review, 1 long" in text
    report = slack.command("/hourglass report acme 2026-11", MANAGER).text
    assert "jane: 5 calls, 1h 1m of 45m allowance (flagged for review), 1 long" in report


def test_forgotten_timer_dm_once_per_interval_and_both_buttons_work(acme):
    slack = acme
    start = slack.clock.now()
    slack.command("/timer start acme jane")
    slack.sweep(at=start + timedelta(minutes=59))
    assert slack.standin.posted(AGENT) == []
    slack.sweep(at=start + timedelta(minutes=60))
    slack.sweep(at=start + timedelta(minutes=90))
    dms = slack.standin.posted(AGENT)
    assert len(dms) == 1
    assert "has been running 1h" in dms[0]["text"]
    stop_button, keep_button = dms[0]["blocks"][1]["elements"]
    assert (stop_button["text"]["text"], keep_button["text"]["text"]) == ("Stop", "Keep running")
    slack.sweep(at=start + timedelta(minutes=120))
    assert len(slack.standin.posted(AGENT)) == 2
    # Keep running: the next reminder waits a full interval from the click
    slack.clock.set(start + timedelta(minutes=130))
    slack.action("timer_keep_running", keep_button["value"])
    assert "Keeping your timer for jane (acme) running" in slack.standin.responses[-1]["text"]
    slack.sweep(at=start + timedelta(minutes=185))
    assert len(slack.standin.posted(AGENT)) == 2
    slack.sweep(at=start + timedelta(minutes=190))
    assert len(slack.standin.posted(AGENT)) == 3
    # Stop: records the call as /timer stop does
    slack.clock.set(start + timedelta(minutes=195))
    slack.action("timer_stop", stop_button["value"])
    answer = slack.standin.responses[-1]
    assert (
        "195m" not in answer["text"] and "3h 15m call with jane (acme) recorded" in (answer["text"])
    )
    assert answer["replace_original"] is True
    assert count(slack.database, PhoneCall) == 1 and count(slack.database, CallTimer) == 0
    slack.action("timer_stop", stop_button["value"])
    assert "no longer running" in slack.standin.responses[-1]["text"]
    assert count(slack.database, PhoneCall) == 1
    # the outbox edits the reminders in place: the buttons go, the last one says what happened
    slack.sweep()
    updates = [u["text"] for u in slack.standin.updated()]
    assert sum("reminded again later" in t for t in updates) == 2
    assert any(t.startswith(":white_check_mark: Timer stopped. 3h 15m call") for t in updates)
    assert sorted(k for k in alert_keys(slack.database) if k.startswith("timer_forgotten")) == [
        f"timer_forgotten:{AGENT}:{stop_button['value']}:{n}" for n in (1, 2, 3)
    ]


def test_an_old_reminder_button_cannot_stop_a_newer_timer(acme):
    slack = acme
    start = slack.clock.now()
    slack.command("/timer start acme jane")
    slack.sweep(at=start + timedelta(minutes=60))
    stop_button = slack.standin.posted(AGENT)[0]["blocks"][1]["elements"][0]
    slack.command("/timer discard")
    slack.command("/timer start acme bob")
    slack.action("timer_stop", stop_button["value"])
    assert "no longer running" in slack.standin.responses[-1]["text"]
    assert count(slack.database, CallTimer) == 1 and count(slack.database, PhoneCall) == 0


def test_app_home_shows_timer_with_stop_and_todays_calls(acme):
    slack = acme
    slack.command("/call 12m acme bob")
    slack.command("/timer start acme jane")
    slack.clock.advance(timedelta(minutes=7))
    assert slack.event({"type": "app_home_opened", "user": AGENT, "tab": "home"}).status == 200
    (publish,) = slack.standin.calls_to("views.publish")
    view = publish.params["view"]
    assert publish.params["user_id"] == AGENT and view["type"] == "home"
    texts = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert any("*jane* (acme) — 7m since 10:00" in t for t in texts)
    assert any("09:48 bob (acme) — 12m" in t for t in texts)
    stop = next(b["accessory"] for b in view["blocks"] if "accessory" in b)
    slack.action("timer_stop", stop["value"], view={"type": "home"}, response_url=False)
    assert "7m call with jane (acme) recorded" in slack.standin.posted(AGENT)[-1]["text"]
    republished = slack.standin.calls_to("views.publish")[-1].params["view"]
    texts = [b["text"]["text"] for b in republished["blocks"] if b["type"] == "section"]
    assert any("No timer running" in t for t in texts)
    assert any("10:00 jane (acme) — 7m" in t for t in texts)


def run_together(*actions):
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        barrier.wait()
        results[index] = action()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_starts_at_once_make_one_timer(acme):
    slack = acme
    replies = run_together(
        lambda: slack.command("/timer start acme jane"),
        lambda: slack.command("/timer start acme bob"),
    )
    assert sorted("Timer started" in r.text for r in replies) == [False, True]
    assert count(slack.database, CallTimer) == 1


def test_two_calls_at_once_that_cross_the_allowance_together_raise_it(acme):
    slack = acme
    slack.command("/call 40m acme jane")
    replies = run_together(
        lambda: slack.command("/call 3m acme jane first"),
        lambda: slack.command("/call 3m acme jane second"),  # not a repeat: another note
    )
    assert all("recorded" in r.text for r in replies)
    assert any("46m this month" in r.text for r in replies)
    assert "fair_use_allowance:1:jane:2026-11" in alert_keys(slack.database)


def test_app_home_for_someone_without_a_role_shows_no_timers(acme):
    slack = acme
    slack.command("/timer start acme jane")
    slack.event({"type": "app_home_opened", "user": STRANGER, "tab": "home"})
    (publish,) = slack.standin.calls_to("views.publish")
    text = str(publish.params["view"])
    assert "for support agents and managers" in text and "jane" not in text
