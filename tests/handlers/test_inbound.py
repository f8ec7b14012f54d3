"""Clean text at the edge (issue 18 item 4): hostile bytes from Slack over signed HTTP, on SQLite
and Postgres. NUL is recorded cleanly instead of failing on Postgres, a bidi override from a
customer never reaches an alert, and digits that are not ASCII are refused with one line."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handlers.inbound import cleaned
from store.models import Customer, Ticket, TicketEventRecord, TimeEntry
from tests import factories
from tests.harness import AGENT, MANAGER, view_submission

CHANNEL = factories.ACME_CHANNEL
TEAM = factories.ACME_TEAM
CUSTOMER = "UCUSTOMER1"
RLO = "\u202e"


@pytest.fixture
def acme(slack):
    """The app over HTTP with customer acme (one seat; its shared and its team channel)."""
    with slack.database.session() as db:
        factories.customer(
            db, slack.policy, "acme", channel=CHANNEL, team=TEAM, now=slack.clock.now()
        )
    return slack


def count(database, model) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def message(ts: str, text: str) -> dict:
    return {"type": "message", "channel": CHANNEL, "user": CUSTOMER, "text": text, "ts": ts}


def test_nul_in_a_log_note_is_recorded_without_it(acme):
    reply = acme.command("/log 30m acme reset\x00 the\x07 password")
    assert reply.status == 200 and "30m logged" in reply.text
    with acme.database.session() as db:
        [entry] = db.scalars(select(TimeEntry)).all()
        assert entry.note == "reset the password"


def test_a_channel_message_with_nul_opens_its_ticket_once(acme):
    event = message("1700000100.000100", "Our site\x00 is down\x1b[31m")
    replies = [acme.event(event, event_id="EvNUL1", retry_num=n) for n in (None, 1, 2)]
    assert [r.status for r in replies] == [200, 200, 200]
    assert count(acme.database, Ticket) == 1
    assert count(acme.database, TicketEventRecord) == 1
    with acme.database.session() as db:
        assert db.get(Ticket, 1).subject == "Our site is down[31m"


def test_a_ticket_subject_typed_with_nul_is_stored_clean(acme):
    reply = acme.command("/ticket open acme low Printer\x00 on fire")
    assert reply.status == 200 and "#1" in reply.text
    with acme.database.session() as db:
        assert db.get(Ticket, 1).subject == "Printer on fire"


def test_a_right_to_left_override_never_reaches_the_alert(acme, standin, clock):
    acme.event(message("1700000100.000100", f"help {RLO}won ti xif{RLO} please"))
    with acme.database.session() as db:
        assert db.get(Ticket, 1).subject == "help won ti xif please"
    for days in (1, 2, 3, 4):  # well past every target, so the ticket has breached
        acme.sweep(at=clock.now() + timedelta(days=days))
    posts = standin.posted(TEAM)
    assert posts and any("help won ti xif please" in post["text"] for post in posts)
    assert not any(RLO in str(call.params) for call in standin.calls_to("chat.postMessage"))
    assert not any(RLO in str(call.params) for call in standin.calls_to("chat.update"))


@pytest.mark.parametrize("seats", ["²", "５", "٥", "1²", "-1", "1e3", "0x1", "1_0"])
def test_seats_that_are_not_ascii_digits_are_refused_with_one_line(acme, seats):
    reply = acme.command(f"/hourglass customer edit acme seats={seats}", MANAGER)
    assert reply.status == 200
    assert reply.text.startswith(":warning: Seats must be a whole number")
    assert reply.text.count("\n") <= 1  # the refusal and its usage line
    with acme.database.session() as db:
        assert db.scalars(select(Customer.seats).where(Customer.name == "acme")).one() == 1


def test_a_customer_added_with_superscript_seats_is_refused(acme):
    reply = acme.command("/hourglass customer add hooli plan=professional seats=²", MANAGER)
    assert reply.status == 200 and "Seats must be a whole number, not `²`" in reply.text
    assert count(acme.database, Customer) == 1


def test_hours_and_ids_read_only_ascii_digits(acme):
    hours = acme.command("/hourglass hours add acme ١٠", MANAGER)
    assert hours.status == 200 and ":warning:" in hours.text
    ticket = acme.command("/ticket resolve #１")
    assert ticket.status == 200 and ":warning:" in ticket.text


def test_a_forged_quality_in_the_call_form_is_refused_not_a_500(acme):
    values = {
        "customer": {"customer_search": {"selected_option": {"value": "acme"}}},
        "duration": {"value": {"value": "20m"}},
        "caller": {"value": {"value": "jane"}},
        "quality": {"value": {"selected_option": {"value": "²"}}},
    }
    reply = acme.interaction(view_submission("record_call", values))
    assert reply.status == 200
    assert reply.body.get("response_action") == "errors"


def test_every_string_of_a_request_is_cleaned_keys_included():
    body = {"a\x00": ["x\u2066y", {"t": f"{RLO}e\u0301"}], "n": 3, "b": None}
    assert cleaned(body) == {"a": ["xy", {"t": "é"}], "n": 3, "b": None}


def test_a_view_submission_value_is_cleaned_before_it_is_read(acme):
    values = {
        "customer": {"customer_search": {"selected_option": {"value": "acme"}}},
        "duration": {"value": {"value": "30m"}},
        "note": {"value": {"value": f"call\x00 {RLO}back"}},
    }
    reply = acme.interaction(view_submission("log_time", values, user=AGENT))
    assert reply.status == 200, reply.raw
    with acme.database.session() as db:
        notes = db.scalars(select(TimeEntry.note)).all()
    assert notes == ["call back"]


def test_a_more_button_whose_json_escapes_a_bidi_override_is_cleaned_too(acme):
    value = json.dumps({"command": "/ticket list", "text": f"acme{RLO}\u0000", "from": 0})
    assert "\\u202e" in value  # JSON escapes pass the edge's clean, so paging cleans again
    reply = acme.action("page_more", value)
    assert reply.status == 200
    answers = [a.get("text", "") for a in acme.standin.responses_to.get("action") or []]
    assert answers and not any(RLO in a or "\x00" in a or ":warning:" in a for a in answers)
