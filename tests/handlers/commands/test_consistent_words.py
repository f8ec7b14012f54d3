"""Consistent words (issue 19 item 9): what people read counts with agreeing plurals, shows
durations one way (`3h`, `2h 30m`, `45m`; a call in whole minutes), and says a session's
status in words, while the JSON keeps the codes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from bot.customers import get_customer
from bot.reports.render import render
from bot.reports.statement import build_statement
from tests.factories import ACME_TEAM
from tests.harness import AGENT, MANAGER

WRONG_PLURAL = re.compile(
    r"\b1 (tickets|calls|seats|sessions|entries|alerts|engineers|problems|attempts|days)\b"
)


def one_of_each(acme, clock):
    """acme (one seat) with one hour block, one entry, one call, one ticket, one session."""
    acme.command("/hourglass hours add acme 10", MANAGER)
    acme.command("/log 30m acme", AGENT)
    acme.command("/call 16m acme jane", AGENT)
    acme.command("/ticket open acme priority Printer is broken", AGENT)
    acme.command("/book acme 2026-11-25 15:00 1h", AGENT)


def test_one_of_each_reads_in_the_singular(acme, clock):
    one_of_each(acme, clock)
    replies = {
        line: acme.said(acme.command(line, who))
        for line, who in [
            ("/balance acme", AGENT),
            ("/log list", AGENT),
            ("/call list", AGENT),
            ("/ticket list", AGENT),
            ("/book list", AGENT),
            ("/hourglass report acme", MANAGER),
            ("/hourglass sla acme", MANAGER),
            ("/hourglass customer list", MANAGER),
            ("/hourglass hours list acme", MANAGER),
        ]
    }
    for line, text in replies.items():
        assert not WRONG_PLURAL.search(text), (line, text)
        assert "(s)" not in text, (line, text)
    assert "(professional plan, 1 seat)" in replies["/balance acme"]
    assert "• jane: 1 call, 16m of 45m — within allowance, 1 long" in replies["/balance acme"]
    assert "1 engineer)" in replies["/balance acme"]
    assert "30m in 1 entry" in replies["/log list"]
    assert "16m in 1 call" in replies["/call list"]
    assert "SLA: 1 ticket, 0 responded" in replies["/hourglass report acme"]
    assert "1 ticket, 0 responded" in replies["/hourglass sla acme"]


def test_a_call_reads_in_whole_minutes_and_its_seconds_stay_in_the_json(acme, clock):
    acme.command("/timer start acme jane", AGENT)
    clock.advance(timedelta(minutes=16, seconds=30))
    assert "16m 30s since" in acme.command("/timer status", AGENT).text  # running: seconds
    stopped = acme.command("/timer stop", AGENT).text
    assert "17m call with jane (acme) recorded" in stopped
    assert "jane: 17m this month (2026-11) of 45m allowance" in stopped
    assert not re.search(r"\d+m \d\ds", stopped)
    acme.command("/call 3h acme bob", AGENT)
    listed = acme.command("/call list", AGENT).text
    assert "3h 17m in 2 calls" in listed and "3h call with bob (acme)" in listed
    assert "180m" not in listed
    assert "jane: 1 call, 17m of 45m allowance" in acme.said(
        acme.command("/hourglass report acme", MANAGER)
    )
    with acme.database.session() as db:
        data = build_statement(db, acme.policy, get_customer(db, "acme"), 2026, 11, clock.now())
    calls = json.loads(render(data, "json"))["calls"]
    assert {row["caller"]: row["seconds"] for row in calls} == {"bob": 10800, "jane": 990}
    assert "jane,16," in render(data, "csv")  # CSV: whole minutes of the exact seconds, as before


def test_the_statement_and_book_list_say_statuses_in_words(acme, clock):
    acme.command("/book acme tomorrow 09:00 1h", AGENT)  # less than 24h ahead
    acme.command("/book cancel #1", AGENT)  # a late cancellation
    acme.command("/book acme tomorrow 14:00 30m", AGENT)
    clock.set(datetime(2026, 11, 21, 14, 20, tzinfo=UTC))
    acme.command("/book noshow #2", AGENT)
    listed = acme.command("/book list", AGENT).text
    assert ": cancelled late, 30m billed" in listed
    assert ": no-show, 30m billed" in listed
    text = acme.said(acme.command("/hourglass report acme 2026-11", MANAGER))
    assert "1h × 1: cancelled late, 30m billed" in text
    assert "30m × 1: no-show, 30m billed" in text
    for code in ("late_cancelled", "no_show", "late cancelled", "no show"):
        assert code not in text and code not in listed


def test_the_low_balance_alert_with_nothing_left_says_overage_is_now(acme, standin):
    acme.command("/hourglass hours add acme 2", MANAGER)
    acme.command("/log 3h acme", AGENT)
    acme.sweep()
    (posted,) = [p for p in standin.posted(ACME_TEAM) if p["text"].startswith(":battery:")]
    assert "nothing left" in posted["text"] and "0m left" not in posted["text"]
    assert "once it runs out" not in posted["text"]
    assert posted["text"].endswith("Further 1-on-1 time bills as overage at 90.00 GBP/h.")
