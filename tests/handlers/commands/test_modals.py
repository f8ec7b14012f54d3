"""Forms and shortcuts where people click (issue 17 item 6), over signed HTTP on both
databases: the *Log time* form (`/log` alone, App Home), its customer search past 100
customers, the message shortcuts *Log time on this message* and *Open a ticket from this
message*, the *Record a call* form, and the long-call alert's *Book training* opening the
booking form prefilled. Each submission records what the typed command would."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.customers import get_customer
from store.models import PhoneCall, Ticket, TimeEntry
from tests import factories
from tests.harness import AGENT, STRANGER, view_submission

CHANNEL, TEAM = factories.ACME_CHANNEL, factories.ACME_TEAM
MESSAGE_TS = "1700000123.000200"


def count(database, model) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def entries(database) -> list[tuple]:
    with database.session() as db:
        rows = db.scalars(select(TimeEntry).order_by(TimeEntry.id))
        return [(e.customer_id, e.minutes, e.kind, e.work_date, e.note, e.undone_at) for e in rows]


def submission(callback_id: str, values: dict, user: str = AGENT) -> dict:
    return view_submission(callback_id, values, user=user)


def picked(value: str, action: str = "value") -> dict:
    return {action: {"type": "static_select", "selected_option": {"value": value}}}


def typed(value: str) -> dict:
    return {"value": {"type": "plain_text_input", "value": value}}


def day(value: str) -> dict:
    return {"value": {"type": "datepicker", "selected_date": value}}


def log_values(duration="90m", on="2026-11-19", kind="1on1", note="setup", customer="acme"):
    return {
        "customer": picked(customer, "customer_search"),
        "duration": typed(duration),
        "date": day(on),
        "kind": picked(kind),
        "note": typed(note),
    }


def shortcut(slack, callback_id: str, channel: str, text: str, user: str = AGENT):
    """A message shortcut on a message in `channel`, signed as Slack sends it."""
    payload = {
        "type": "message_action",
        "callback_id": callback_id,
        "trigger_id": "trigger.3",
        "team": {"id": "T00000001"},
        "user": {"id": user, "name": user.lower()},
        "channel": {"id": channel, "name": "support"},
        "message_ts": MESSAGE_TS,
        "message": {"type": "message", "ts": MESSAGE_TS, "user": "UCUSTOMER", "text": text},
        "response_url": slack.standin.response_url("shortcut"),
    }
    return slack.interaction(payload)


def suggest(slack, typed_text: str, user: str = AGENT) -> list[str]:
    """What the customer picker offers for `typed_text` (a block_suggestion request)."""
    reply = slack.interaction(
        {
            "type": "block_suggestion",
            "team": {"id": "T00000001"},
            "user": {"id": user},
            "api_app_id": "A1",
            "action_id": "customer_search",
            "block_id": "customer",
            "value": typed_text,
            "container": {"type": "view", "view_id": "V0000001"},
        }
    )
    assert reply.status == 200, reply.raw
    return [o["value"] for o in reply.body.get("options", [])]


def opened(standin) -> dict:
    (call,) = standin.calls_to("views.open")
    return call.params["view"]


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


# --- the Log time form ---------------------------------------------------------------------


def test_log_alone_opens_the_form_and_log_help_gives_usage(acme, standin):
    reply = acme.command("/log")
    assert reply.status == 200 and "Log time" in reply.text, reply.text
    view = opened(standin)
    assert standin.calls_to("views.open")[0].params["trigger_id"] == reply.trigger_id
    assert view["callback_id"] == "log_time"
    assert [b["block_id"] for b in view["blocks"]] == [
        "customer",
        "duration",
        "date",
        "kind",
        "note",
    ]
    assert block(view, "customer")["element"]["type"] == "external_select"
    assert block(view, "date")["element"]["initial_date"] == "2026-11-20"  # London's Friday
    assert count(acme.database, TimeEntry) == 0
    assert acme.command("/log help").text.startswith("Usage: `/log <duration>")
    assert len(standin.calls_to("views.open")) == 1


def test_a_stranger_gets_no_log_form(acme, standin):
    assert acme.command("/log", STRANGER).text.startswith(":no_entry:")
    assert standin.calls_to("views.open") == []


def test_the_customer_picker_searches_past_100_customers(acme):
    with acme.database.session() as db:
        for n in range(120):
            factories.customer(db, acme.policy, f"cust{n:03d}", now=acme.clock.now())
    assert suggest(acme, "ac") == ["acme"]
    assert suggest(acme, "CUST11") == [f"cust{n:03d}" for n in range(110, 120)]
    assert len(suggest(acme, "")) == 100  # Slack shows at most 100: type to narrow
    assert suggest(acme, "cust119") == ["cust119"]  # the 121st customer is reachable
    assert suggest(acme, "%") == []  # a wildcard is a character, not "everything"
    assert suggest(acme, "ac", STRANGER) == []


def test_the_form_logs_exactly_what_the_typed_command_does(acme, standin):
    acme.command("/hourglass hours add acme 10", "UMANAGER1")
    reply = acme.interaction(submission("log_time", log_values()))
    assert reply.status == 200 and "errors" not in reply.body, reply.raw
    (dm,) = standin.posted(AGENT)
    acme.command("/log undo")
    typed_reply = acme.command("/log 90m acme on 2026-11-19 setup")
    assert dm["text"].replace("Entry #1.", "Entry #2.") == typed_reply.text
    assert dm["text"].startswith(":white_check_mark: Logged 1h 30m 1-on-1 for acme")
    form_row, typed_row = entries(acme.database)  # the first undone, the second live
    assert form_row[:5] == typed_row[:5]
    assert form_row[3] == date(2026, 11, 19) and form_row[4] == "setup"


def test_the_form_logs_general_support_without_a_note(acme, standin):
    values = log_values(kind="general", note="")
    values["note"] = {"value": {"type": "plain_text_input", "value": None}}
    reply = acme.interaction(submission("log_time", values))
    assert "errors" not in reply.body, reply.raw
    ((_, minutes, kind, _, note, _),) = entries(acme.database)
    assert (minutes, kind, note) == (90, "general", None)
    assert "never billed" in standin.posted(AGENT)[0]["text"]


@pytest.mark.parametrize(
    ("values", "where", "message"),
    [
        ({"duration": typed("thirty")}, "duration", "not a duration"),
        ({"duration": typed("13h")}, "duration", "longer than one entry may be"),
        ({"date": day("2026-11-21")}, "date", "in the future"),
        ({"customer": picked("nobody", "customer_search")}, "customer", "no customer called"),
        (
            {"customer": {"customer_search": {"type": "external_select"}}},
            "customer",
            "Pick a customer",
        ),
        ({"note": typed("x" * 1001)}, "note", "limited to 1000 characters"),
    ],
)
def test_form_errors_are_shown_by_their_field_and_record_nothing(acme, values, where, message):
    reply = acme.interaction(submission("log_time", {**log_values(), **values}))
    assert reply.body["response_action"] == "errors", reply.raw
    assert message in reply.body["errors"][where], reply.body
    assert count(acme.database, TimeEntry) == 0


def test_a_stranger_cannot_submit_the_form(acme, standin):
    reply = acme.interaction(submission("log_time", log_values(), user=STRANGER))
    assert reply.body["response_action"] == "errors"
    assert count(acme.database, TimeEntry) == 0 and standin.posted(STRANGER) == []


def test_app_home_has_a_log_time_button_that_opens_the_form(acme, standin):
    acme.event({"type": "app_home_opened", "user": AGENT, "tab": "home"})
    home = standin.calls_to("views.publish")[-1].params["view"]
    buttons = {e["action_id"] for e in block(home, "quick_actions")["elements"]}
    assert buttons == {"open_log_time", "open_record_call", "open_ticket_form"}
    reply = acme.action("open_log_time", "home", view={"type": "home"}, response_url=False)
    assert reply.status == 200
    assert opened(standin)["callback_id"] == "log_time"


# --- message shortcuts -----------------------------------------------------------------------


@pytest.mark.parametrize("channel", [CHANNEL, TEAM])
def test_log_time_on_a_message_prefills_the_customer_and_the_link(acme, standin, channel):
    reply = shortcut(acme, "log_time_on_message", channel, "Printer down again")
    assert reply.status == 200
    (link,) = standin.calls_to("chat.getPermalink")
    assert (link.params["channel"], link.params["message_ts"]) == (channel, MESSAGE_TS)
    view = opened(standin)
    assert view["callback_id"] == "log_time"
    assert block(view, "customer")["element"]["initial_option"]["value"] == "acme"
    permalink = f"https://standin.slack.com/archives/{channel}/p1700000123000200"
    assert block(view, "note")["element"]["initial_value"] == permalink
    assert standin.calls_to("views.open")[0].params["trigger_id"] == "trigger.3"
    values = {**log_values(note=permalink), "date": day("2026-11-20")}
    assert "errors" not in acme.interaction(submission("log_time", values)).body
    ((_, minutes, _, _, note, _),) = entries(acme.database)
    assert (minutes, note) == (90, permalink)


def test_a_shortcut_elsewhere_leaves_the_customer_to_pick(acme, standin):
    shortcut(acme, "log_time_on_message", "CRANDOM1", "hello")
    assert "initial_option" not in block(opened(standin), "customer")["element"]


def test_a_stranger_is_told_and_gets_no_form(acme, standin):
    shortcut(acme, "log_time_on_message", CHANNEL, "hi", user=STRANGER)
    assert standin.calls_to("views.open") == [] and standin.calls_to("chat.getPermalink") == []
    (told,) = standin.responses
    assert told["text"].startswith(":no_entry:")


def ticket_values(subject: str, priority: str = "immediate") -> dict:
    return {
        "customer": picked("acme", "customer_search"),
        "priority": picked(priority),
        "subject": typed(subject),
    }


def test_open_a_ticket_from_a_message_opens_it_like_the_command(acme, standin):
    shortcut(acme, "open_ticket_from_message", CHANNEL, "\n  VPN is down for everyone  \nhelp!")
    view = opened(standin)
    assert view["callback_id"] == "open_ticket"
    assert block(view, "customer")["element"]["initial_option"]["value"] == "acme"
    assert block(view, "subject")["element"]["initial_value"] == "VPN is down for everyone"
    priorities = [o["value"] for o in block(view, "priority")["element"]["options"]]
    assert "immediate" in priorities
    reply = acme.interaction(submission("open_ticket", ticket_values("VPN is down for everyone")))
    assert "errors" not in reply.body, reply.raw
    (dm,) = standin.posted(AGENT)
    typed_reply = acme.command("/ticket open acme immediate VPN is down for everyone")
    assert dm["text"].replace("#1", "#2") == typed_reply.text
    with acme.database.session() as db:
        first, second = db.scalars(select(Ticket).order_by(Ticket.id))
        assert (first.priority, first.subject, first.opened_by) == (
            second.priority,
            second.subject,
            second.opened_by,
        )


def test_ticket_alone_opens_the_form_and_its_submission_opens_the_ticket(acme, standin):
    reply = acme.command("/ticket")
    assert reply.status == 200 and "Open a ticket" in reply.text, reply.text
    view = opened(standin)
    assert view["callback_id"] == "open_ticket"
    assert [b["block_id"] for b in view["blocks"]] == ["customer", "priority", "subject"]
    assert block(view, "customer")["element"]["type"] == "external_select"
    assert "initial_option" not in block(view, "customer")["element"]
    assert count(acme.database, Ticket) == 0
    reply = acme.interaction(submission("open_ticket", ticket_values("Printer on fire")))
    assert "errors" not in reply.body, reply.raw
    (dm,) = standin.posted(AGENT)
    assert dm["text"].startswith(":ticket: Opened ticket *#1* for *acme* (immediate")
    with acme.database.session() as db:
        (ticket,) = db.scalars(select(Ticket))
        assert (ticket.subject, ticket.opened_by) == ("Printer on fire", AGENT)
    assert acme.command("/ticket help").text.startswith("Usage: `/ticket open <customer>")
    assert len(standin.calls_to("views.open")) == 1


def test_app_home_open_a_ticket_button_opens_the_form(acme, standin):
    acme.event({"type": "app_home_opened", "user": AGENT, "tab": "home"})
    home = standin.calls_to("views.publish")[-1].params["view"]
    labels = [e["text"]["text"] for e in block(home, "quick_actions")["elements"]]
    assert labels == ["Log time", "Record a call", "Open a ticket"]
    reply = acme.action("open_ticket_form", "home", view={"type": "home"}, response_url=False)
    assert reply.status == 200
    view = opened(standin)
    assert view["callback_id"] == "open_ticket"
    assert block(view, "customer")["element"]["type"] == "external_select"


def test_a_stranger_gets_no_ticket_form(acme, standin):
    reply = acme.command("/ticket", user=STRANGER)
    assert reply.text.startswith(":no_entry:"), reply.text
    assert standin.calls_to("views.open") == []


def test_the_ticket_form_refuses_by_field(acme):
    values = {
        "customer": picked("acme", "customer_search"),
        "priority": picked("whenever"),
        "subject": typed("x"),
    }
    reply = acme.interaction(submission("open_ticket", values))
    assert "has no priority `whenever`" in reply.body["errors"]["priority"]
    values["priority"], values["subject"] = picked("immediate"), typed("   ")
    reply = acme.interaction(submission("open_ticket", values))
    assert "subject" in reply.body["errors"]["subject"]
    assert count(acme.database, Ticket) == 0


# --- the Record a call form --------------------------------------------------------------------


def call_values(duration="12m", caller="jane", on=None, quality="4", note="reset"):
    values = {
        "customer": picked("acme", "customer_search"),
        "caller": typed(caller),
        "duration": typed(duration),
        "date": {"value": {"type": "datepicker", "selected_date": on}},
        "quality": picked(quality) if quality else {"value": {"type": "static_select"}},
        "note": typed(note),
    }
    return values


def test_call_alone_opens_the_call_form(acme, standin):
    acme.command("/call")
    view = opened(standin)
    assert view["callback_id"] == "record_call"
    assert [b["block_id"] for b in view["blocks"]] == [
        "customer",
        "caller",
        "duration",
        "date",
        "quality",
        "note",
    ]
    assert count(acme.database, PhoneCall) == 0
    assert "Usage: `/call" in acme.command("/call help").text


def test_the_call_form_records_like_the_command(acme, standin):
    reply = acme.interaction(submission("record_call", call_values(on="2026-11-19")))
    assert "errors" not in reply.body, reply.raw
    (dm,) = standin.posted(AGENT)
    acme.clock.advance(timedelta(seconds=61))  # the same call within 60 s asks first
    typed_reply = acme.command("/call 12m acme jane on 2026-11-19 q=4 reset")
    first_line = dm["text"].split("\n")[0]
    assert first_line.startswith(":white_check_mark: 12m call with jane (acme) recorded on")
    with acme.database.session() as db:
        first, second = db.scalars(select(PhoneCall).order_by(PhoneCall.id))
        same = ("caller", "seconds", "quality", "note", "started_at", "customer_id")
        assert [getattr(first, a) for a in same] == [getattr(second, a) for a in same]
    assert typed_reply.text.split("\n")[0] == first_line.replace("Call #1", "Call #2")


@pytest.mark.parametrize(
    ("values", "where", "message"),
    [
        ({"duration": typed("forever")}, "duration", "not a duration"),
        ({"caller": typed("Jane Doe!")}, "caller", "not a valid caller name"),
        ({"date": day("2026-12-01")}, "duration", "future date"),
    ],
)
def test_the_call_form_refuses_by_field(acme, values, where, message):
    reply = acme.interaction(submission("record_call", {**call_values(), **values}))
    assert message in reply.body["errors"][where], reply.body
    assert count(acme.database, PhoneCall) == 0


# --- Book training from the long-call alert ---------------------------------------------------


def test_book_training_opens_the_booking_form_prefilled(acme, standin):
    acme.command("/call 16m acme jane")
    acme.sweep()
    answered = len(standin.responses)  # the /call answer came after its ack
    reply = acme.action("fair_use_book_training", "acme")
    assert reply.status == 200
    view = opened(standin)
    assert view["callback_id"] == "book_session"
    assert block(view, "customer")["element"]["initial_option"]["value"] == "acme"
    assert block(view, "duration")["element"]["initial_value"] == "1h"
    checked = block(view, "options")["element"]["initial_options"]
    assert [o["value"] for o in checked] == ["training"]
    assert standin.responses[answered:] == []  # nothing to type: the form is open


def test_book_training_says_how_to_type_it_when_the_form_cannot_open(acme, standin):
    standin.fail_next("views.open", "expired_trigger_id")
    acme.action("fair_use_book_training", "acme")
    (answer,) = standin.responses
    assert "/book acme <date time> 1h training" in answer["text"]


def test_with_more_than_100_customers_the_booking_form_searches(acme, standin):
    with acme.database.session() as db:
        for n in range(101):
            factories.customer(db, acme.policy, f"cust{n:03d}", now=acme.clock.now())
        assert get_customer(db, "cust100").name == "cust100"
    acme.command("/book")
    element = block(opened(standin), "customer")["element"]
    assert element["type"] == "external_select" and element["action_id"] == "customer_search"
