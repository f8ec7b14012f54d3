"""Check-then-insert rules hold when the requests that could break them come at once, on
SQLite and Postgres (docs/architecture.md, "Locks"): each test starts its requests together
on threads, each its own HTTP request and so its own session and connection."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from store.models import (
    Alert,
    Booking,
    CallTimer,
    Customer,
    IssuedStatement,
    PhoneCall,
    Ticket,
    TicketEventRecord,
    TimeEntry,
)
from tests.concurrency import together
from tests.harness import AGENT, MANAGER

pytestmark = pytest.mark.slow  # issue 18's proof: signed requests at once


def count(slack, model, *where) -> int:
    with slack.database.session() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def texts(replies) -> list[str]:
    return [reply.text for reply in replies]


def add_customers(slack, names):
    for name in names:
        slack.command(f"/hourglass customer add {name} plan=professional", MANAGER)


def test_four_logs_of_12h_for_four_customers_at_once_leave_at_most_a_day(slack):
    names = ["acme", "globex", "initech", "umbrella"]
    add_customers(slack, names)
    slack.clock.advance(timedelta(days=4))  # work is never dated before a customer was added
    for day in ("2026-11-21", "2026-11-22", "2026-11-23"):
        replies = together(
            *(
                lambda name=name, day=day: slack.command(f"/log 12h {name} on {day}")
                for name in names
            )
        )
        logged = [r for r in replies if "Logged 12h" in r.text]
        refused = [r for r in replies if "more than a day has" in r.text]
        assert len(logged) == 2 and len(refused) == 2, [r.text for r in replies]
        assert all(len(r.text.splitlines()) <= 2 for r in refused), [r.text for r in refused]
        with slack.database.session() as db:
            total = db.scalar(
                select(func.sum(TimeEntry.minutes)).where(
                    TimeEntry.agent_id == AGENT, TimeEntry.work_date == date.fromisoformat(day)
                )
            )
        assert total == 24 * 60


def test_four_timer_starts_at_once_leave_one_timer_running(slack):
    add_customers(slack, ["acme"])
    callers = ["jane", "bob", "ann", "joe"]
    replies = together(
        *(lambda caller=caller: slack.command(f"/timer start acme {caller}") for caller in callers)
    )
    assert sum("Timer started" in r.text for r in replies) == 1, texts(replies)
    assert sum("is already running" in r.text for r in replies) == 3, texts(replies)
    assert count(slack, CallTimer) == 1


def test_four_bookings_of_one_engineer_in_one_slot_leave_one(slack):
    names = ["acme", "globex", "initech", "umbrella"]
    add_customers(slack, names)
    replies = together(
        *(lambda name=name: slack.command(f"/book {name} tomorrow 10:00 1h") for name in names)
    )
    assert sum("Booked #" in r.text for r in replies) == 1, texts(replies)
    assert sum("That clashes" in r.text for r in replies) == 3, texts(replies)
    assert count(slack, Booking) == 1


def test_calls_at_once_across_the_allowance_each_see_the_others_and_alert_once(slack, standin):
    slack.command(
        "/hourglass customer add acme plan=professional channel=<#CACME|acme> team=<#CTEAM|t>",
        MANAGER,
    )
    slack.command("/call 40m acme jane")
    # Four different calls (a note each): the same words twice would be a likely repeat.
    replies = together(
        *(lambda n=n: slack.command(f"/call 3m acme jane line {n}") for n in range(4))
    )
    assert all("recorded. Call #" in r.text for r in replies), texts(replies)
    # Serialised per customer: each call's month includes the ones recorded before it.
    months = sorted(
        m for m in ("43m", "46m", "49m", "52m") for r in replies if f"{m} this month" in r.text
    )
    assert months == ["43m", "46m", "49m", "52m"], texts(replies)
    assert count(slack, PhoneCall) == 5
    assert count(slack, Alert, Alert.kind == "fair_use_allowance") == 2  # jane's, the account's
    slack.sweep()
    posted = [p["text"] for p in standin.posted("CTEAM") if "Phone allowance used" in p["text"]]
    assert len(posted) == 2 and sum("jane at *acme*" in t for t in posted) == 1, posted


def test_a_late_cancellation_and_a_log_at_once_raise_block_low_once(slack, standin):
    slack.command(
        "/hourglass customer add acme plan=professional channel=<#CACME|acme> team=<#CTEAM|t>",
        MANAGER,
    )
    slack.command("/hourglass hours add acme 3.25 purchased 2026-11-01", MANAGER)
    slack.clock.advance(timedelta(days=1))  # a day after acme was added
    slack.command("/log 30m acme on 2026-11-20")  # 2h 45m left; the threshold is 2h
    slack.command("/book acme tomorrow 09:00 1h")  # 23 h ahead: cancelling now bills 30m
    # Either alone leaves 2h 15m; together 1h 45m, under the threshold: one of them sees both.
    replies = together(
        lambda: slack.command("/book cancel #1"),
        lambda: slack.command("/log 30m acme"),
    )
    assert "cancelled late" in replies[0].text and "Logged 30m" in replies[1].text, texts(replies)
    assert count(slack, Alert, Alert.kind == "block_low") == 1
    slack.sweep()
    assert sum("low on prepaid hours" in p["text"] for p in standin.posted("CTEAM")) == 1


def test_two_customers_added_at_once_with_one_channel_or_name_keep_them_unique(slack):
    replies = together(
        lambda: slack.command(
            "/hourglass customer add beta plan=professional channel=<#CSHARED|s>", MANAGER
        ),
        lambda: slack.command(
            "/hourglass customer add gamma plan=professional channel=<#CSHARED|s>", MANAGER
        ),
    )
    assert sum("already belongs to" in r.text for r in replies) == 1, texts(replies)
    assert count(slack, Customer, Customer.channel_id == "CSHARED") == 1
    replies = together(
        *(lambda: slack.command("/hourglass customer add delta plan=lite", MANAGER) for _ in "ab")
    )
    assert sum("already a customer called" in r.text for r in replies) == 1, texts(replies)
    assert all(r.status == 200 for r in replies)
    assert count(slack, Customer, Customer.name == "delta") == 1


def test_one_customer_message_delivered_four_times_at_once_opens_one_ticket(slack):
    slack.command(
        "/hourglass customer add acme plan=professional channel=<#CACME|acme> team=<#CTEAM|t>",
        MANAGER,
    )
    event = {
        "type": "message",
        "channel": "CACME",
        "user": "UCUSTOMER1",
        "text": "help",
        "ts": "1700000100.000100",
    }
    # Slack's retries of one event, and the same message under another event id.
    deliveries = [("EvOPEN1", None), ("EvOPEN1", 1), ("EvOPEN1", 2), ("EvOPEN2", None)]
    replies = together(
        *(
            lambda event_id=event_id, retry=retry: slack.event(
                event, event_id=event_id, retry_num=retry
            )
            for event_id, retry in deliveries
        )
    )
    assert all(r.status == 200 for r in replies)
    assert count(slack, Ticket) == 1
    assert count(slack, TicketEventRecord) == 1


def test_two_bookings_moved_into_one_slot_at_once_leave_one_there(slack):
    add_customers(slack, ["acme", "globex"])
    assert "Booked #1" in slack.command("/book acme 2026-11-24 10:00 1h").text
    assert "Booked #2" in slack.command("/book globex 2026-11-24 12:00 1h").text
    replies = together(
        lambda: slack.command("/book move #1 2026-11-25 09:00"),
        lambda: slack.command("/book move #2 2026-11-25 09:30"),
    )
    assert sum("Moved #" in r.text for r in replies) == 1, texts(replies)
    assert sum("That clashes" in r.text for r in replies) == 1, texts(replies)
    with slack.database.session() as db:
        spans = sorted((b.start_at, b.end_at) for b in db.scalars(select(Booking)))
    assert spans[0][1] <= spans[1][0], spans  # no two of the engineer's sessions overlap


def test_a_booking_cancelled_twice_at_once_is_charged_once(slack):
    add_customers(slack, ["acme"])
    slack.command("/book acme tomorrow 09:00 1h")  # 23 h ahead: cancelling now bills 30m
    replies = together(*(lambda: slack.command("/book cancel #1") for _ in range(3)))
    assert sum("30m billed" in r.text for r in replies) == 1, texts(replies)
    assert sum("was already cancelled late" in r.text for r in replies) == 2, texts(replies)
    assert count(slack, Alert, Alert.kind == "late_cancellation") == 1


def test_a_statement_issued_twice_at_once_is_issued_once(slack):
    add_customers(slack, ["acme"])
    slack.command("/log 1h acme on 2026-10-15")
    replies = together(
        *(lambda: slack.command("/hourglass report acme 2026-10 issue", MANAGER) for _ in "ab")
    )
    assert all(r.status == 200 for r in replies), texts(replies)
    assert sum("Already issued" in r.text for r in replies) == 1, texts(replies)
    assert count(slack, IssuedStatement) == 1


def test_the_same_words_four_times_at_once_record_once_and_ask_three_times(slack):
    """A double-press at the same moment is still a likely repeat: the check and the insert
    are under the agent's lock on Postgres too, not only SQLite's single writer."""
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    for line in ("/call 3m acme jane", "/log 30m acme"):
        replies = together(*(lambda line=line: slack.command(line) for _ in range(4)))
        asked = [r for r in replies if "This looks like a repeat of" in r.text]
        assert len(asked) == 3, texts(replies)
    assert count(slack, PhoneCall) == 1
    assert count(slack, TimeEntry) == 1
