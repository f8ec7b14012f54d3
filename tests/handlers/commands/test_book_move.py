"""`/book move` and its buttons over signed HTTP on both databases (issue 10 item 5).

Seed 001: "If cancellation is not received at least 24 hours in advance of the start time
of your appointment, Customer will be billed for 30 minutes. Please contact 1-on-1 Tech
Support ... to reschedule": a move is judged like a cancellation, from now to the start
it is moved FROM.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from store.models import BookingMove
from tests.handlers.commands.test_book_commands import alerts, form_values, statement
from tests.handlers.commands.test_book_commands import booking as row
from tests.handlers.commands.test_book_commands import submission as book_submission
from tests.harness import AGENT, MANAGER

CHANNEL = "CACME01"
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # booking #1
NEW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # where it is moved to


@pytest.fixture
def acme(slack):
    """acme (alerts to CACME01, 10 hours bought 1 Nov) and globex, as /book's tests have."""
    for line in (
        f"/hourglass customer add acme plan=professional channel=<#{CHANNEL}|acme>",
        "/hourglass customer add globex plan=professional channel=<#CGLOBEX1|globex>",
        "/hourglass hours add acme 10 purchased 2026-11-01",
    ):
        slack.command(line, MANAGER)
    return slack


def moves(database) -> list[BookingMove]:
    with database.session() as db:
        rows = list(db.scalars(select(BookingMove).order_by(BookingMove.id)))
        for found in rows:
            db.expunge(found)
        return rows


def button(reply, action_id: str) -> dict:
    for block in reply.body.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {reply.body}")


# --- Done when: the 24-hour edge ------------------------------------------------------------


def test_a_move_24h00m_before_the_original_start_is_free(acme, clock, standin):
    acme.command("/book acme 2026-11-23 15:00 1h")
    clock.set(START - timedelta(hours=24))
    reply = acme.command("/book move #1 2026-11-24 10:00")
    assert reply.text.startswith(":white_check_mark: Moved #1 for *acme*"), reply.text
    assert "to Tue 24 Nov 10:00–11:00 GMT; nothing is billed" in reply.text
    assert "/book move undo #1" in reply.text
    assert (row(acme.database).start_at, row(acme.database).end_at) == (
        NEW,
        NEW + timedelta(hours=1),
    )
    (move,) = moves(acme.database)
    assert (move.from_start, move.to_start, move.moved_by, move.charge_minutes) == (
        START,
        NEW,
        AGENT,
        0,
    )
    assert move.moved_at == clock.now()
    data = statement(acme)
    assert data["billed_minutes"] == 0 and data["blocks"][0]["used_minutes"] == 0
    assert [s["status"] for s in data["sessions"]] == ["booked"]
    assert alerts(acme.database, "late_cancellation") == []
    acme.sweep()
    (note,) = [p for p in standin.posted(CHANNEL) if "is moved from" in p["text"]]
    assert "nothing is billed" in note["text"]


def test_a_move_23h59m_before_the_original_start_asks_first_then_bills_30_minutes(
    acme, clock, standin
):
    acme.command("/book acme 2026-11-23 15:00 1h")
    clock.set(START - timedelta(hours=23, minutes=59))
    reply = acme.command("/book move #1 2026-11-24 10:00")
    assert "in 23h 59m: less than the 24h notice" in reply.text, reply.text
    assert "bills 30m, as a late cancellation would" in reply.text
    assert "Nothing has changed yet" in reply.text
    anyway = button(reply, "book_move_anyway")
    # Asked, not moved: nothing recorded, nothing billed.
    assert row(acme.database).start_at == START and moves(acme.database) == []
    assert statement(acme)["billed_minutes"] == 0

    acme.action("book_move_anyway", anyway["value"])
    answer = standin.responses[-1]
    assert answer["replace_original"] is True
    assert "Moved #1 for *acme*" in answer["text"] and "30m billed" in answer["text"], answer
    assert row(acme.database).start_at == NEW
    (move,) = moves(acme.database)
    assert move.charge_minutes == 30
    data = statement(acme)
    assert data["billed_minutes"] == 30
    assert data["blocks"][0]["used_minutes"] == 30
    assert data["sessions"] == [
        {
            "id": "1",
            "start": "2026-11-24T10:00:00+00:00",
            "minutes": 60,
            "engineers": 1,
            "kind": "session",
            "status": "booked",
            "billed_minutes": 0,
        },
        {
            "id": "1",
            "start": "2026-11-23T15:00:00+00:00",
            "minutes": 60,
            "engineers": 1,
            "kind": "session",
            "status": "moved_late",
            "billed_minutes": 30,
        },
    ]
    (alert,) = alerts(acme.database, "late_cancellation")
    assert alert.key == f"late_move:{move.id}"
    assert alert.text.startswith(":warning: Moved late: *acme* moved session #1")
    assert "23h 59m before the start, less than the 24h notice; 30m billed." in alert.text
    # A second click of the same button finds the booking changed and changes nothing.
    acme.action("book_move_anyway", anyway["value"])
    assert "was changed since; nothing changed" in standin.responses[-1]["text"]
    assert len(moves(acme.database)) == 1


def test_a_held_late_moved_session_bills_its_length_and_the_charge(acme, clock):
    acme.command("/book acme 2026-11-23 15:00 1h")
    clock.set(START - timedelta(hours=2))
    acme.action(
        "book_move_anyway",
        button(acme.command("/book move 1 2026-11-24 10:00"), "book_move_anyway")["value"],
    )
    clock.set(NEW + timedelta(hours=2))
    data = statement(acme)
    assert [(s["status"], s["billed_minutes"]) for s in data["sessions"]] == [
        ("held", 60),
        ("moved_late", 30),
    ]
    assert data["billed_minutes"] == 90 and data["blocks"][0]["used_minutes"] == 90


def test_a_late_moved_training_is_billed_at_the_training_rate(acme, clock):
    acme.command("/book acme 2026-11-23 15:00 1h training")
    clock.set(START - timedelta(hours=5))
    reply = acme.command("/book move #1 2026-11-24 10:00")
    acme.action("book_move_anyway", button(reply, "book_move_anyway")["value"])
    data = statement(acme)
    assert data["billed_minutes"] == 30
    assert data["blocks"][0]["used_minutes"] == 0
    assert data["amount"] == "30.00"  # 30 minutes at 60 per hour


# --- Done when: clashes --------------------------------------------------------------------


def test_a_move_onto_an_engineers_clash_is_refused_with_the_clash_named(acme):
    acme.command("/book acme 2026-11-23 15:00 1h")
    acme.command("/book globex 2026-11-24 10:00 1h")
    reply = acme.command("/book move #1 2026-11-24 10:30")
    first, usage = reply.text.split("\n")
    assert (
        first == ":warning: That clashes: alex is already booked with globex 10:00–11:00 GMT (#2)."
    )
    assert usage == "Usage: `/book move <booking-id> <date> <time>`"
    assert row(acme.database).start_at == START and moves(acme.database) == []
    # Overlapping only its own old time is no clash.
    assert "nothing is billed" in acme.command("/book move #1 2026-11-23 15:30").text
    assert row(acme.database).start_at == START + timedelta(minutes=30)


# --- timezone, refusals ----------------------------------------------------------------------


def test_the_new_time_is_read_in_the_agents_timezone(acme, standin):
    standin.add_user(AGENT, "alex", "America/New_York")
    acme.command("/book acme 2026-11-23 10:00 1h")  # 15:00 UTC
    reply = acme.command("/book move #1 2026-11-24 10:00")
    assert "to Tue 24 Nov 10:00–11:00 EST" in reply.text, reply.text
    assert row(acme.database).start_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/book move #1", "give a booking id, a new date and a new start time"),
        ("/book move #1 2026-11-19 10:00", "is in the past"),
        ("/book move #1 2028-01-01 10:00", "more than 365 days ahead"),
        ("/book move #9 2026-11-24 10:00", "there is no booking #9"),
        ("/book move #1 2026-11-23 15:00", "already starts then"),
        ("/book move #1 2026-11-24 25:00", "25:00"),
    ],
)
def test_bad_moves_are_refused_with_the_usage_and_change_nothing(acme, line, says):
    acme.command("/book acme 2026-11-23 15:00 1h")
    reply = acme.command(line)
    assert reply.text.startswith(":warning:") and says in reply.text.lower(), reply.text
    assert "Usage: `/book move <booking-id> <date> <time>`" in reply.text
    assert row(acme.database).start_at == START and moves(acme.database) == []


def test_cancelled_or_started_bookings_cannot_be_moved(acme, clock):
    acme.command("/book acme 2026-11-23 15:00 1h")
    acme.command("/book acme 2026-11-25 15:00 1h")
    acme.command("/book cancel #2")
    assert "was already cancelled" in acme.command("/book move #2 2026-11-26 10:00").text
    clock.set(START + timedelta(minutes=5))
    assert "has already started" in acme.command("/book move #1 2026-11-26 10:00").text
    assert moves(acme.database) == []


# --- undo ----------------------------------------------------------------------------------


def test_undo_puts_it_back_withdraws_a_late_charge_and_is_audited(acme, clock, standin):
    acme.command("/book acme 2026-11-23 15:00 1h")
    clock.set(START - timedelta(hours=3))
    reply = acme.command("/book move #1 2026-11-24 10:00")
    acme.action("book_move_anyway", button(reply, "book_move_anyway")["value"])
    assert statement(acme)["billed_minutes"] == 30
    reply = acme.command("/book move undo #1", MANAGER)
    assert "#1 for *acme* is back at Mon 23 Nov 15:00–16:00 GMT" in reply.text, reply.text
    assert "the 30m late-move charge is withdrawn" in reply.text
    assert row(acme.database).start_at == START
    (move,) = moves(acme.database)
    assert (move.undone_by, move.undone_at) == (MANAGER, clock.now())
    data = statement(acme)
    assert data["billed_minutes"] == 0 and data["blocks"][0]["used_minutes"] == 0
    assert [s["status"] for s in data["sessions"]] == ["booked"]
    assert "has not been moved; nothing to undo" in acme.command("/book move undo #1").text
    acme.sweep()
    (note,) = [p for p in standin.posted(CHANNEL) if "is back at" in p["text"]]
    assert "was undone" in note["text"]


def test_undo_is_refused_when_the_old_time_is_taken_or_gone(acme, clock):
    acme.command("/book acme 2026-11-23 15:00 1h")
    acme.command("/book move #1 2026-11-24 10:00")
    acme.command("/book globex 2026-11-23 15:00 1h")  # alex takes the freed slot
    reply = acme.command("/book move undo #1")
    assert "alex is already booked with globex" in reply.text, reply.text
    assert row(acme.database).start_at == NEW
    acme.command("/book cancel #2")
    clock.set(START + timedelta(minutes=1))
    assert "which has passed; nothing changed" in acme.command("/book move undo #1").text
    assert row(acme.database).start_at == NEW


# --- reminders -------------------------------------------------------------------------------


def test_reminders_are_recomputed_for_the_new_start(acme, clock, standin):
    acme.command("/book acme 2026-11-23 15:00 1h")
    acme.sweep(START - timedelta(hours=24))
    assert len([p for p in standin.posted(AGENT) if "In 24h" in p["text"]]) == 1
    acme.command("/book move #1 2026-11-25 15:00")  # 24 h notice: free
    moved_to = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert row(acme.database).next_reminder_at == moved_to - timedelta(hours=24)
    acme.sweep(START - timedelta(hours=1))  # the old 1 h reminder: not sent
    assert [p for p in standin.posted(AGENT) if "In 1h" in p["text"]] == []
    acme.sweep(moved_to - timedelta(hours=24))
    assert len([p for p in standin.posted(AGENT) if "In 24h" in p["text"]]) == 2


# --- the Move button and form ------------------------------------------------------------------


def submission(callback_id: str, meta: str, values: dict | None = None) -> dict:
    """A view submission as /book's form tests send one, from the Move form's screens."""
    payload = book_submission(values or {})
    payload["view"].update(callback_id=callback_id, private_metadata=meta)
    return payload


def picked(date: str, time: str) -> dict:
    return {
        "date": {"value": {"type": "datepicker", "selected_date": date}},
        "time": {"value": {"type": "timepicker", "selected_time": time}},
    }


def test_the_move_button_opens_a_form_that_moves_free(acme, standin):
    reply = acme.command("/book acme 2026-11-23 15:00 1h")
    move = button(reply, "book_move_open")
    assert move["value"] == "1"
    acme.action("book_move_open", move["value"])
    (call,) = standin.calls_to("views.open")
    view = call.params["view"]
    assert view["callback_id"] == "book_move" and view["private_metadata"] == "1"
    assert [b.get("block_id") for b in view["blocks"][1:]] == ["date", "time"]
    assert view["blocks"][1]["element"]["initial_date"] == "2026-11-23"
    assert view["blocks"][2]["element"]["initial_time"] == "15:00"
    answer = acme.interaction(submission("book_move", "1", picked("2026-11-24", "10:00")))
    assert answer.status == 200 and "errors" not in answer.body, answer.raw
    assert row(acme.database).start_at == NEW
    (dm,) = [p for p in standin.posted(AGENT) if "Moved #1" in p["text"]]
    assert "nothing is billed" in dm["text"]


def test_the_form_asks_before_a_late_move_and_shows_errors_by_field(acme, clock, standin):
    acme.command("/book acme 2026-11-23 15:00 1h")
    acme.command("/book globex 2026-11-24 10:00 1h")
    clock.set(START - timedelta(hours=10))
    answer = acme.interaction(submission("book_move", "1", picked("2026-11-24", "10:30")))
    assert "alex is already booked with globex" in answer.body["errors"]["date"]
    answer = acme.interaction(submission("book_move", "1", picked("2026-11-25", "10:00")))
    assert answer.body["response_action"] == "update", answer.raw
    screen = answer.body["view"]
    assert screen["callback_id"] == "book_move_confirm"
    assert screen["submit"]["text"] == "Move anyway"
    assert "bills 30m" in screen["blocks"][0]["text"]["text"]
    assert row(acme.database).start_at == START and moves(acme.database) == []
    answer = acme.interaction(submission("book_move_confirm", screen["private_metadata"]))
    assert answer.status == 200 and "response_action" not in answer.body, answer.raw
    assert row(acme.database).start_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert statement(acme)["billed_minutes"] == 30
    (dm,) = [p for p in standin.posted(AGENT) if "Moved #1" in p["text"]]
    assert "30m billed" in dm["text"]


def test_the_booking_forms_dm_carries_the_move_button(acme, standin):
    reply = acme.interaction(book_submission(form_values()))
    assert reply.status == 200 and "errors" not in reply.body, reply.raw
    (dm,) = standin.posted(AGENT)
    (actions,) = [b for b in dm["blocks"] if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [("book_move_open", "1")]
