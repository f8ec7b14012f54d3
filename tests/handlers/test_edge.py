"""The Slack edge (handlers/edge.py) over signed HTTP: refusals, lost races and bugs each
get their reply, a bug's reply carries a ref that is in the log with its traceback, and
every request logs one line."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy.exc import IntegrityError

from bot.bookings import sessions as bookings
from bot.calls import timers
from bot.sla import channel as sla_channel
from handlers.commands import balance
from tests.harness import AGENT, MANAGER, STRANGER

REF = re.compile(r":x: Something went wrong on our side \(ref ([0-9a-f]{6})\)")


def boom(*args, **kwargs):
    raise RuntimeError("the handler broke")


@pytest.fixture
def acme(slack, caplog):
    caplog.set_level(logging.INFO)
    assert "Added customer" in slack.command("/hourglass customer add acme plan=lite", MANAGER).text
    caplog.clear()
    return slack


def logged_failure(caplog, ref: str) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR and ref in r.getMessage()]
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    return record


def request_lines(caplog) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "hourglass.requests" and r.levelno == logging.INFO
    ]


def test_a_command_that_breaks_replies_with_a_ref_that_is_in_the_log(acme, monkeypatch, caplog):
    monkeypatch.setattr(balance, "balance_for", boom)
    reply = acme.command("/balance acme")
    assert reply.status == 200
    match = REF.fullmatch(reply.text)
    assert match, reply.raw
    logged_failure(caplog, match.group(1))
    (line,) = request_lines(caplog)
    assert (line.kind, line.target, line.outcome, line.ref) == (
        "command",
        "/balance",
        "error",
        match.group(1),
    )


def test_an_action_that_breaks_tells_the_clicker_the_ref(acme, monkeypatch, caplog):
    monkeypatch.setattr(timers, "stop_timer", boom)
    reply = acme.action(timers.ACTION_TIMER_STOP, timers.timer_token(acme.clock.now()))
    assert reply.status == 200
    told = acme.standin.responses[-1]
    match = REF.fullmatch(told["text"])
    assert match, told
    assert told["response_type"] == "ephemeral"
    logged_failure(caplog, match.group(1))
    (line,) = request_lines(caplog)
    assert (line.kind, line.target, line.outcome) == ("action", "timer_stop", "error")


def test_an_event_that_breaks_answers_500_with_the_ref_so_slack_retries(acme, monkeypatch, caplog):
    monkeypatch.setattr(sla_channel, "on_message", boom)
    event = {"type": "message", "channel": "CACME01", "user": AGENT, "ts": "1763632800.000100"}
    reply = acme.event(event, event_id="EvBROKEN1")
    assert reply.status == 500
    ref = re.search(r"ref ([0-9a-f]{6})", reply.body["error"]).group(1)
    logged_failure(caplog, ref)
    (line,) = request_lines(caplog)
    assert (line.kind, line.target, line.outcome, line.ref) == ("event", "message", "error", ref)


def test_a_form_that_breaks_shows_the_ref_in_the_form(acme, monkeypatch, caplog):
    monkeypatch.setattr(bookings, "book", boom)
    values = {
        "customer": {"value": {"type": "static_select", "selected_option": {"value": "acme"}}},
        "date": {"value": {"type": "datepicker", "selected_date": "2026-11-23"}},
        "time": {"value": {"type": "timepicker", "selected_time": "15:00"}},
        "duration": {"value": {"type": "plain_text_input", "value": "1h"}},
    }
    reply = acme.interaction(
        {
            "type": "view_submission",
            "team": {"id": "T00000001"},
            "user": {"id": AGENT},
            "view": {
                "type": "modal",
                "callback_id": "book_session",
                "state": {"values": values},
            },
        }
    )
    assert reply.body["response_action"] == "errors"
    match = REF.fullmatch(reply.body["errors"]["customer"])
    assert match, reply.raw
    logged_failure(caplog, match.group(1))


def test_a_lost_race_is_a_conflict_in_plain_words(acme, monkeypatch, caplog):
    def lost(*args, **kwargs):
        raise IntegrityError("INSERT …", {}, Exception("duplicate key value"))

    monkeypatch.setattr(balance, "balance_for", lost)
    reply = acme.command("/balance acme")
    assert reply.text == (
        ":warning: Someone else changed this at the same moment, so nothing was saved; "
        "please try again."
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    (line,) = request_lines(caplog)
    assert line.outcome == "refused"


def test_every_request_logs_one_line_with_who_what_outcome_and_time(acme, caplog):
    acme.command("/balance acme")
    acme.command("/balance acme", STRANGER)
    acme.command("/balance acme globex")
    lines = request_lines(caplog)
    assert [(r.target, r.user, r.team, r.outcome) for r in lines] == [
        ("/balance", AGENT, "T00000001", "ok"),
        ("/balance", STRANGER, "T00000001", "refused"),
        ("/balance", AGENT, "T00000001", "refused"),
    ]
    assert all(re.fullmatch(r"[0-9a-f]{6}", r.ref) for r in lines)
    assert len({r.ref for r in lines}) == 3
    assert all(isinstance(r.duration_ms, int) and r.duration_ms >= 0 for r in lines)
    assert "/balance user=UAGENT001 team=T00000001 outcome=ok duration_ms=" in lines[0].getMessage()


def test_a_refused_command_keeps_its_usage_line(acme):
    reply = acme.command("/balance acme globex")
    assert reply.text == ":warning: Give one customer.\nUsage: `/balance <customer>`"
