"""Issue 18 item 6 (second part), over signed HTTP on both databases: the same `/log` or
`/call` with the same text by the same person within 60 seconds asks before recording it
twice; *Log again* records it (only for the one who typed it); after 61 seconds there is
no question."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from handlers.repeats import ACTION_AGAIN
from store.models import PhoneCall, TimeEntry
from tests.harness import AGENT, MANAGER


def count(slack, model) -> int:
    with slack.database.session() as db:
        return db.scalar(select(func.count()).select_from(model).where(model.undone_at.is_(None)))


def again_button(reply) -> dict:
    (button,) = [
        element
        for block in reply.body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert button["action_id"] == ACTION_AGAIN and button["text"]["text"] == "Log again"
    return button


def test_the_same_log_within_a_minute_asks_and_log_again_records_it(acme):
    acme.command("/log 30m acme printer", AGENT)
    acme.clock.advance(timedelta(seconds=60))
    reply = acme.command("/log 30m acme printer", AGENT)
    assert reply.text.startswith(
        ':repeat: This looks like a repeat of #1 (30m 1-on-1 for acme on Fri 20 Nov: "printer"),'
        " recorded less than a minute ago, so nothing was recorded. Press *Log again*"
    )
    assert count(acme, TimeEntry) == 1
    button = again_button(reply)
    assert json.loads(button["value"]) == {
        "command": "/log",
        "text": "30m acme printer",
        "user": AGENT,
    }
    acme.action(ACTION_AGAIN, button["value"], AGENT)
    (answer,) = acme.standin.responses_to["action"]
    assert answer["text"].startswith(":white_check_mark: Logged 30m 1-on-1 for acme")
    assert "Entry #2." in answer["text"] and answer["replace_original"] is True
    assert "30m + 30m = 1h logged" in answer["text"]
    assert count(acme, TimeEntry) == 2


def test_only_the_one_who_typed_it_may_press_log_again(acme):
    acme.command("/log 30m acme", AGENT)
    button = again_button(acme.command("/log 30m acme", AGENT))
    acme.action(ACTION_AGAIN, button["value"], MANAGER)
    (answer,) = acme.standin.responses_to["action"]
    assert "this *Log again* button is <@UAGENT001>'s" in answer["text"]
    assert count(acme, TimeEntry) == 1


def test_after_sixty_one_seconds_or_with_other_text_there_is_no_question(acme):
    acme.command("/log 30m acme", AGENT)
    assert "Logged" in acme.command("/log 30m acme fixed it", AGENT).text  # another note
    assert "Logged" in acme.command("/log 30m acme", MANAGER).text  # another person
    acme.clock.advance(timedelta(seconds=61))
    assert "Logged 30m" in acme.command("/log 30m acme", AGENT).text
    assert count(acme, TimeEntry) == 4


def test_an_undone_entry_is_not_asked_about(acme):
    acme.command("/log 30m acme", AGENT)
    acme.command("/log undo", AGENT)
    assert "Logged 30m" in acme.command("/log 30m acme", AGENT).text


def test_the_same_call_within_a_minute_asks_and_log_again_records_it(acme):
    acme.command("/call 5m acme jane reset", AGENT)
    reply = acme.command("/call 5m acme jane reset", AGENT)
    assert reply.text.startswith(":repeat: This looks like a repeat of call #1 (")
    assert count(acme, PhoneCall) == 1
    button = again_button(reply)
    assert json.loads(button["value"])["command"] == "/call"
    acme.action(ACTION_AGAIN, button["value"], AGENT)
    (answer,) = acme.standin.responses_to["action"]
    assert "5m call with jane (acme) recorded" in answer["text"] and "Call #2" in (answer["text"])
    assert "jane: 10m this month" in answer["text"]
    assert count(acme, PhoneCall) == 2
    acme.clock.advance(timedelta(seconds=61))
    assert "Call #3" in acme.command("/call 5m acme jane reset", AGENT).text


def test_through_hourglass_the_question_is_the_same(acme):
    acme.command("/hourglass log 30m acme", AGENT)
    reply = acme.command("/log 30m acme", AGENT)
    assert "looks like a repeat of #1" in reply.text
    assert json.loads(again_button(reply)["value"])["command"] == "/log"
