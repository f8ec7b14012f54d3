"""/book restore and /book waive over signed HTTP on both databases (issue 19 item 1): a
cancellation or no-show made by mistake is undone from Slack and its late charge goes with
it; a manager waives a charge with a reason the statement shows. The alerts follow."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.customers import get_customer
from bot.reports.statement import build_statement
from store.models import Alert, Booking
from tests import factories
from tests.harness import AGENT, MANAGER

TEAM = factories.ACME_TEAM
CHANNEL = factories.ACME_CHANNEL


@pytest.fixture
def acme(acme):
    with acme.database.session() as db:
        customer = get_customer(db, "acme")
        factories.hour_block(
            db, acme.policy, customer, hours=10, purchased=date(2026, 11, 1), now=acme.clock.now()
        )
    return acme


def booking(database, booking_id: int = 1) -> Booking:
    with database.session() as db:
        row = db.get(Booking, booking_id)
        db.expunge(row)
        return row


def alert(database, key: str) -> Alert:
    with database.session() as db:
        row = db.scalar(select(Alert).where(Alert.key == key))
        db.expunge(row)
        return row


def statement(slack) -> dict:
    with slack.database.session() as db:
        customer = get_customer(db, "acme")
        return build_statement(db, slack.policy, customer, 2026, 11, slack.clock.now())


def test_a_late_cancellation_restored_is_back_on_and_its_charge_and_alert_go(acme, standin):
    acme.command("/book acme tomorrow 09:00 1h")  # 23 h ahead
    acme.command("/book cancel #1")
    acme.sweep()
    assert statement(acme)["billed_minutes"] == 30
    reply = acme.command("/book restore #1")
    assert (
        "#1 for *acme* (Sat 21 Nov 09:00–10:00 GMT) is back on: the late cancellation is "
        "undone; the 30m charge is gone." in reply.text
    ), reply.text
    row = booking(acme.database)
    assert (row.status, row.charge_minutes) == ("booked", None)
    assert (row.restored_by, row.restored_from) == (AGENT, "late_cancelled")
    assert (row.cancelled_by, row.restored_at) == (AGENT, acme.clock.now())  # audit kept
    assert row.next_reminder_at is not None
    assert statement(acme)["billed_minutes"] == 0
    assert statement(acme)["sessions"][0]["status"] == "booked"
    assert alert(acme.database, "late_cancellation:1").state == "withdrawn"
    acme.sweep()
    [edit] = [u for u in standin.updated() if u["channel"] == TEAM]
    assert edit["text"].startswith(":heavy_multiplication_x: *Withdrawn*: session #1 was ")
    assert f"restored by <@{AGENT}>; the 30m charge is gone" in edit["text"]
    assert "> :warning: Late cancellation" in edit["text"]


def test_cancelling_late_again_raises_the_same_message_again(acme, standin):
    acme.command("/book acme tomorrow 09:00 1h")
    acme.command("/book cancel #1")
    acme.command("/book restore #1")
    acme.sweep()
    acme.command("/book cancel #1")
    acme.sweep()
    assert alert(acme.database, "late_cancellation:1").state == "raised"
    assert len([p for p in standin.posted(TEAM) if "Late cancellation" in p["text"]]) == 1
    assert standin.updated()[-1]["text"].startswith(":warning: Late cancellation")
    assert statement(acme)["billed_minutes"] == 30


def test_a_free_cancellation_restored_tells_the_customer_it_is_back_on(acme, standin):
    acme.command("/book acme 2026-11-23 15:00 1h")
    acme.command("/book cancel #1")
    acme.sweep()
    reply = acme.command("/book restore 1")
    assert "is back on: the cancellation is undone." in reply.text
    acme.sweep()
    [edit] = [u for u in standin.updated() if u["channel"] == CHANNEL]
    assert "is back on: the cancellation was undone" in edit["text"]


def test_a_restore_is_refused_when_the_slot_was_taken(acme):
    acme.command("/book acme 2026-11-23 15:00 1h")
    acme.command("/book cancel #1")
    with acme.database.session() as db:
        factories.customer(db, acme.policy, "globex", channel="CGLOBEX1", now=acme.clock.now())
    acme.command("/book globex 2026-11-23 15:30 1h")
    reply = acme.command("/book restore #1")
    assert (
        reply.text.startswith(":warning:") and "That clashes: alex is already booked" in reply.text
    )
    assert "/book restore <booking-id>" in reply.text
    assert booking(acme.database).status == "cancelled"


def test_only_a_cancelled_booking_can_be_restored(acme):
    acme.command("/book acme 2026-11-23 15:00 1h")
    reply = acme.command("/book restore #1")
    assert "#1 is not cancelled or a no-show; nothing to restore" in reply.text
    assert "There is no booking #9" in acme.command("/book restore #9").text


def test_a_no_show_restored_bills_the_held_session(acme, clock):
    acme.command("/book acme tomorrow 09:00 1h")
    clock.set(datetime(2026, 11, 21, 9, 20, tzinfo=UTC))
    acme.command("/book noshow #1")
    reply = acme.command("/book restore #1")
    assert "the no-show is undone; the 30m charge is gone" in reply.text
    clock.set(datetime(2026, 11, 21, 12, tzinfo=UTC))
    (session,) = statement(acme)["sessions"]
    assert (session["status"], session["billed_minutes"]) == ("held", 60)


def test_a_manager_waives_a_late_charge_with_a_reason_on_the_statement(acme, standin):
    acme.command("/book acme tomorrow 09:00 1h")
    acme.command("/book cancel #1")
    acme.sweep()
    reply = acme.command("/book waive #1 flu, first time", MANAGER)
    assert "#1 for *acme*: the 30m charge is waived (flu, first time)" in reply.text
    data = statement(acme)
    (session,) = data["sessions"]
    assert session["status"] == "late_cancelled" and session["billed_minutes"] == 0
    assert session["waived"] == {
        "by": MANAGER,
        "on": "2026-11-20T10:00:00+00:00",
        "reason": "flu, first time",
        "minutes": 30,
    }
    assert data["billed_minutes"] == 0
    text = acme.command("/hourglass report acme 2026-11", MANAGER).text
    assert "(30m charge waived: flu, first time)" in text
    acme.sweep()
    assert "Charge waived by <@UMANAGER1>: flu, first time" in standin.updated()[-1]["text"]
    again = acme.command("/book waive #1 twice", MANAGER)
    assert "already waived" in again.text


def test_an_agent_cannot_waive_and_a_charge_is_needed(acme):
    acme.command("/book acme tomorrow 09:00 1h")
    acme.command("/book cancel #1")
    assert "manager" in acme.command("/book waive #1 nice customer", AGENT).text
    assert booking(acme.database).waived_at is None
    assert "Give a booking id and the reason" in acme.command("/book waive #1", MANAGER).text
    acme.command("/book acme 2026-11-24 15:00 1h")
    reply = acme.command("/book waive #2 why not", MANAGER)
    assert "#2 has no late-cancellation or no-show charge to waive" in reply.text


def test_a_waiver_given_by_mistake_is_taken_back_from_slack(acme, standin):
    acme.command("/book acme tomorrow 09:00 1h")
    acme.command("/book cancel #1")
    acme.command("/book waive #1 flu", MANAGER)
    acme.sweep()
    assert statement(acme)["billed_minutes"] == 0
    reply = acme.command("/book waive #1 undo", MANAGER)
    assert "the waiver is taken back; the 30m charge is billed again" in reply.text
    row = booking(acme.database)
    assert (row.waived_by, row.waive_reason, row.status) == (None, None, "late_cancelled")
    data = statement(acme)
    assert data["billed_minutes"] == 30 and "waived" not in data["sessions"][0]
    assert alert(acme.database, "late_cancellation:1").state == "raised"
    acme.sweep()
    last = standin.updated()[-1]["text"]
    assert last.startswith(":warning: Late cancellation") and "Waiver taken back by" in last
    assert "Charge waived" not in last
    assert "no waived charge to take back" in acme.command("/book waive #1 undo", MANAGER).text
    assert "manager" in acme.command("/book waive #1 undo", AGENT).text
    history = acme.command("/hourglass history acme", MANAGER).text
    assert "took back the waiver of the 30m charge of session #1" in history
