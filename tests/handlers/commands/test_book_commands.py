"""/book over signed HTTP on both databases: booking, cancellations, no-shows, extras,
training, conflicts, timezones, reminders, the form and the statement."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.bookings import sessions as bookings
from bot.customers import get_customer
from bot.parsing import InputError
from bot.reports.statement import build_statement
from store.models import Alert, Booking, BookingEngineer
from tests import factories
from tests.harness import AGENT, MANAGER, STRANGER, view_submission

CHANNEL = factories.ACME_CHANNEL
TEAM = factories.ACME_TEAM  # late cancellations are the team's by default (issue 17)
JO = "UJO000001"


@pytest.fixture
def acme(acme, standin):
    """acme with a 10-hour block, globex beside it, and engineer jo."""
    standin.add_user(JO, "jo", "Europe/London")
    now = acme.clock.now()
    with acme.database.session() as db:
        factories.customer(db, acme.policy, "globex", channel="CGLOBEX1", now=now)
        customer = get_customer(db, "acme")
        factories.hour_block(
            db, acme.policy, customer, hours=10, purchased=date(2026, 11, 1), now=now
        )
    return acme


def count(database, model) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def booking(database, booking_id: int = 1) -> Booking:
    with database.session() as db:
        row = db.get(Booking, booking_id)
        db.expunge(row)
        return row


def statement(slack, month: str = "2026-11") -> dict:
    year, mon = (int(p) for p in month.split("-"))
    with slack.database.session() as db:
        return build_statement(
            db, slack.policy, get_customer(db, "acme"), year, mon, slack.clock.now()
        )


def alerts(database, kind: str) -> list[Alert]:
    with database.session() as db:
        rows = list(db.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id)))
        for row in rows:
            db.expunge(row)
        return rows


# --- Done when ----------------------------------------------------------------------------


def test_booked_23_hours_ahead_and_cancelled_is_late_with_30_minutes_billed(acme, standin, clock):
    reply = acme.command("/book acme tomorrow 09:00 1h")  # Sat 21 Nov 09:00, 23 h ahead
    assert reply.status == 200
    assert "Booked #1" in reply.text and "Sat 21 Nov 09:00–10:00 GMT" in reply.text, reply.text
    reply = acme.command("/book cancel #1")
    assert "cancelled late" in reply.text and "30m billed" in reply.text, reply.text
    assert booking(acme.database).status == "late_cancelled"
    data = statement(acme)
    (session,) = data["sessions"]
    assert session == {
        "id": "1",
        "start": "2026-11-21T09:00:00+00:00",
        "minutes": 60,
        "engineers": 1,
        "kind": "session",
        "status": "late_cancelled",
        "billed_minutes": 30,
    }
    assert data["billed_minutes"] == 30
    assert data["blocks"][0]["used_minutes"] == 30
    acme.sweep()
    assert [p for p in standin.posted(CHANNEL) if "Late cancellation" in p["text"]] == []
    (alert,) = [p for p in standin.posted(TEAM) if "Late cancellation" in p["text"]]
    assert "#1" in alert["text"] and "30m billed" in alert["text"]
    assert len(alerts(acme.database, "late_cancellation")) == 1


def test_booked_49_hours_ahead_and_cancelled_is_free(acme, standin):
    acme.command("/book acme 2026-11-22 11:00 1h")  # 49 h ahead
    reply = acme.command("/book cancel 1")
    assert "is cancelled; nothing is billed" in reply.text, reply.text
    assert booking(acme.database).status == "cancelled"
    data = statement(acme)
    assert data["sessions"][0]["status"] == "cancelled"
    assert data["sessions"][0]["billed_minutes"] == 0
    assert data["billed_minutes"] == 0
    assert alerts(acme.database, "late_cancellation") == []


def test_an_unknown_id_is_a_clear_error_with_usage(acme):
    reply = acme.command("/book cancel #99")
    first, usage = reply.text.split("\n")
    assert first == ":warning: There is no booking #99."
    assert usage == "Usage: `/book cancel <booking-id>`"
    assert "not a booking id" in acme.command("/book noshow abc").text


# --- cancellations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notice", "status", "billed"),
    [
        (timedelta(hours=24), "cancelled", 0),
        (timedelta(hours=23, minutes=59), "late_cancelled", 30),
    ],
)
def test_the_24_hour_edge(acme, clock, notice, status, billed):
    acme.command("/book acme 2026-11-23 15:00 1h")
    start = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    clock.set(start - notice)
    acme.command("/book cancel #1")
    assert booking(acme.database).status == status
    data = statement(acme)
    assert data["sessions"][0]["billed_minutes"] == billed
    assert data["billed_minutes"] == billed
    assert len(alerts(acme.database, "late_cancellation")) == (1 if billed else 0)


def test_double_cancel_says_so_and_changes_nothing(acme, clock):
    acme.command("/book acme tomorrow 09:00 1h")
    acme.command("/book cancel #1")
    before = count(acme.database, Alert)
    reply = acme.command("/book cancel #1")
    assert "#1 was already cancelled late; nothing changed" in reply.text
    assert count(acme.database, Alert) == before
    assert statement(acme)["billed_minutes"] == 30


def test_no_show_only_after_the_start_bills_the_charge_and_alerts(acme, standin, clock):
    acme.command("/book acme tomorrow 09:00 1h")
    reply = acme.command("/book noshow #1")
    assert "has not started yet" in reply.text
    assert booking(acme.database).status == "booked"
    clock.set(datetime(2026, 11, 21, 9, 20, tzinfo=UTC))
    assert "already started" in acme.command("/book cancel #1").text
    reply = acme.command("/book noshow #1")
    assert "no-show: 30m billed" in reply.text, reply.text
    assert "already marked as a no-show" in acme.command("/book noshow #1").text
    clock.set(datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    data = statement(acme)
    assert data["sessions"][0]["status"] == "no_show"
    assert data["sessions"][0]["billed_minutes"] == 30
    assert data["billed_minutes"] == 30
    acme.sweep()
    assert any("No-show" in p["text"] for p in standin.posted(TEAM))
    assert not any("No-show" in p["text"] for p in standin.posted(CHANNEL))


# --- billing --------------------------------------------------------------------------------


def test_a_held_session_bills_its_length_with_no_sweep(acme, clock):
    acme.command("/book acme 2026-11-23 15:00 90m")
    assert statement(acme)["sessions"][0]["status"] == "booked"
    assert statement(acme)["billed_minutes"] == 0
    clock.set(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    data = statement(acme)
    assert data["sessions"][0]["status"] == "held"
    assert data["sessions"][0]["billed_minutes"] == 90
    assert data["billed_minutes"] == 90
    assert data["blocks"][0]["used_minutes"] == 90


def test_an_extra_engineer_is_billed_in_addition(acme, clock):
    reply = acme.command(f"/book acme 2026-11-23 15:00 1h <@{JO}|jo> extra")
    assert "jo (extra, billed in addition)" in reply.text and "Bills 2h once held" in reply.text
    with acme.database.session() as db:
        engineers = {(e.user_id, e.extra) for e in db.scalars(select(BookingEngineer))}
    assert engineers == {(AGENT, False), (JO, True)}
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    data = statement(acme)
    session = data["sessions"][0]
    assert (session["engineers"], session["status"], session["billed_minutes"]) == (2, "held", 120)
    assert data["billed_minutes"] == 120


def test_named_engineers_without_extra_are_the_team_not_billed_in_addition(acme, clock):
    acme.command(f"/book acme 2026-11-23 15:00 1h <@{JO}|jo> <@{AGENT}|alex>")
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    session = statement(acme)["sessions"][0]
    assert (session["engineers"], session["billed_minutes"]) == (2, 60)


def test_training_is_priced_at_the_training_rate_not_the_blocks(acme, clock):
    reply = acme.command("/book acme 2026-11-23 15:00 90m training")
    assert "training" in reply.text and "60.00 GBP/h" in reply.text
    clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))
    data = statement(acme)
    session = data["sessions"][0]
    assert (session["kind"], session["status"], session["billed_minutes"]) == (
        "training",
        "held",
        90,
    )
    assert data["amount"] == "90.00"  # 1.5 h at 60 per hour
    assert data["billed_minutes"] == 90  # SPEC §6: sessions count, training included
    assert data["blocks"][0]["used_minutes"] == 0  # but training does not draw on blocks


def test_a_late_cancelled_training_session_is_charged_at_the_training_rate(acme, clock):
    acme.command("/book acme tomorrow 09:00 2h training")
    acme.command("/book cancel #1")
    data = statement(acme)
    assert data["sessions"][0]["status"] == "late_cancelled"
    assert data["sessions"][0]["billed_minutes"] == 30
    assert (data["billed_minutes"], data["amount"]) == (30, "30.00")
    assert data["blocks"][0]["used_minutes"] == 0


def test_overage_from_sessions_is_priced_at_the_hourly_rate(acme, clock):
    acme.command("/hourglass customer add initech plan=professional", MANAGER)
    acme.command("/book initech 2026-11-23 15:00 1h")
    clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))
    with acme.database.session() as db:
        data = build_statement(db, acme.policy, get_customer(db, "initech"), 2026, 11, clock.now())
    assert (data["billed_minutes"], data["overage_minutes"], data["amount"]) == (60, 60, "90.00")


# --- conflicts and refusals -------------------------------------------------------------------


def test_an_engineer_already_booked_is_refused_naming_the_clash(acme):
    acme.command("/book acme 2026-11-23 15:00 1h")
    reply = acme.command("/book globex 2026-11-23 15:30 30m")
    assert "That clashes: alex is already booked with acme 15:00–16:00 GMT (#1)" in reply.text, (
        reply.text
    )
    assert reply.text.endswith(
        "Usage: `/book <customer> <date time> <duration> [@engineer…] [extra] [training]`"
    )
    assert count(acme.database, Booking) == 1
    reply = acme.command(f"/book globex 2026-11-23 15:30 30m <@{JO}|jo>")  # jo is free
    assert "Booked #2" in reply.text
    assert "Booked #3" in acme.command("/book globex 2026-11-23 16:00 30m").text  # back to back


def test_a_cancelled_slot_can_be_booked_again(acme):
    acme.command("/book acme 2026-11-23 15:00 1h")
    acme.command("/book cancel #1")
    assert "Booked #2" in acme.command("/book globex 2026-11-23 15:00 1h").text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("acme today 09:00 1h", "is in the past"),
        ("acme 2026-11-23 15:00 0m", "longer than zero"),
        ("acme 2026-11-23 15:00 9h", "longer than the longest bookable session (8h)"),
        ("acme 2026-11-23 15:00 90s", "whole minutes"),
        ("acme 2026-11-23 15:00 soon", "not a duration"),
        ("acme 2028-01-01 10:00 1h", "days ahead"),
        ("nobody 2026-11-23 15:00 1h", "no customer called `nobody`"),
        ("acme 2026-13-01 15:00 1h", "not a date"),
        ("acme 2026-11-23 25:00 1h", "not a time of day"),
        ("acme 2026-11-23 15:00 1h jo", "is not an engineer"),
        ("acme 2026-11-23 15:00 1h <@UNOBODY1|ghost>", "can't find the Slack user"),
        ("acme 2026-11-23 15:00 1h extra", "`extra` needs the engineer"),
        ("acme 2026-11-23 15:00", "Give a customer, a date and time, and a duration"),
        ("acme'; drop table bookings; -- 2026-11-23 15:00 1h", "is not an engineer"),
        ("acme 2027-03-28 01:30 1h", "does not exist in Europe/London"),
    ],
)
def test_refused_inputs_change_nothing(acme, text, message):
    before = count(acme.database, Alert)
    reply = acme.command(f"/book {text}")
    first, usage = reply.text.split("\n")
    assert first.startswith(":warning:") and message in first, reply.text
    assert usage.startswith("Usage: `/book <customer>")
    assert count(acme.database, Booking) == 0
    assert count(acme.database, BookingEngineer) == 0
    assert count(acme.database, Alert) == before


def test_a_stranger_cannot_book(acme):
    reply = acme.command("/book acme 2026-11-23 15:00 1h", STRANGER)
    assert reply.text.startswith(":no_entry:")
    assert count(acme.database, Booking) == 0


# --- time zones -------------------------------------------------------------------------------


def test_an_agent_in_new_york_books_for_a_london_customer(acme, standin):
    standin.add_user(AGENT, "alex", "America/New_York")
    # Fri 20 Nov 10:00 UTC is 05:00 in New York: "tomorrow" is Sat 21 Nov there.
    reply = acme.command("/book acme tomorrow 10:00 1h")
    assert "Sat 21 Nov 10:00–11:00 EST" in reply.text, reply.text
    row = booking(acme.database)
    assert row.start_at == datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    assert acme.command("/book list").text.count("10:00–11:00 EST") == 1
    acme.sweep()
    (confirmation,) = [p for p in standin.posted(CHANNEL) if "booked for" in p["text"]]
    # The channel sees the time in each reader's own zone; the fallback is London's.
    epoch = int(datetime(2026, 11, 21, 15, 0, tzinfo=UTC).timestamp())
    assert f"<!date^{epoch}^" in confirmation["text"]
    assert "Sat 21 Nov 15:00 GMT" in confirmation["text"]


def test_the_work_date_is_the_providers_day(acme, standin, clock):
    standin.add_user(AGENT, "alex", "America/Los_Angeles")
    # 30 Nov 17:00 in Los Angeles is 1 Dec 01:00 in London: a December session.
    acme.command("/book acme 2026-11-30 17:00 1h")
    clock.set(datetime(2026, 12, 2, tzinfo=UTC))
    assert statement(acme, "2026-11")["sessions"] == []
    december = statement(acme, "2026-12")
    assert december["sessions"][0]["start"] == "2026-12-01T01:00:00+00:00"
    assert december["billed_minutes"] == 60


# --- reminders ----------------------------------------------------------------------------------


def test_reminders_go_to_each_engineer_and_the_channel_once_each(acme, standin):
    acme.command(f"/book acme 2026-11-23 15:00 1h <@{JO}|jo> extra")
    acme.sweep()  # the confirmation
    standin.reset()
    acme.sweep(at=datetime(2026, 11, 22, 14, 59, tzinfo=UTC))
    assert standin.posted() == []
    for _ in range(3):
        acme.sweep(at=datetime(2026, 11, 22, 15, 0, tzinfo=UTC))
    assert sorted(p["channel"] for p in standin.posted()) == sorted([AGENT, JO, CHANNEL])
    assert all("In 24h" in p["text"] for p in standin.posted() if p["channel"] != CHANNEL)
    standin.reset()
    for minute in (0, 1, 30):
        acme.sweep(at=datetime(2026, 11, 23, 14, minute, tzinfo=UTC))
    assert sorted(p["channel"] for p in standin.posted()) == sorted([AGENT, JO, CHANNEL])
    assert "In 1h" in standin.posted(JO)[0]["text"]
    standin.reset()
    acme.sweep(at=datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    assert standin.posted() == []
    assert booking(acme.database).next_reminder_at is None


def test_a_cancelled_booking_gets_no_reminders(acme, standin):
    acme.command("/book acme 2026-11-23 15:00 1h")
    acme.command("/book cancel #1")
    acme.sweep()
    standin.reset()
    for at in (
        datetime(2026, 11, 22, 15, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
    ):
        acme.sweep(at=at)
    assert standin.posted() == []


def test_a_booking_inside_24_hours_gets_only_the_1_hour_reminder(acme, standin):
    acme.command("/book acme tomorrow 09:00 1h")
    assert booking(acme.database).next_reminder_at == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    acme.sweep()
    standin.reset()
    acme.sweep(at=datetime(2026, 11, 21, 8, 0, tzinfo=UTC))
    assert len(standin.posted(AGENT)) == 1 and "In 1h" in standin.posted(AGENT)[0]["text"]


# --- list and balance ---------------------------------------------------------------------------


def test_list_shows_ids_times_and_status(acme, clock):
    acme.command("/book acme 2026-11-23 15:00 1h")
    acme.command("/book globex 2026-11-24 10:00 30m training")
    acme.command("/book cancel #2")
    text = acme.command("/book list").text
    assert "#1 acme Mon 23 Nov 15:00–16:00 GMT, session, alex: booked" in text, text
    assert "#2 globex Tue 24 Nov 10:00–10:30 GMT, training, alex: cancelled" in text
    only = acme.command("/book list globex").text
    assert "#2" in only and "#1" not in only
    assert "no customer called" in acme.command("/book list nobody").text


def test_balance_shows_upcoming_sessions(acme):
    acme.command("/book acme 2026-11-23 15:00 1h")
    text = acme.command("/balance acme").text
    assert "Upcoming sessions:" in text and "#1" in text


# --- the booking form -------------------------------------------------------------------------


def submission(values: dict, user: str = AGENT) -> dict:
    return view_submission("book_session", values, user=user, private_metadata="CSUPPORT")


def form_values(duration="1h", date="2026-11-23", time="15:00", users=(), options=()):
    return {
        "customer": {"value": {"type": "static_select", "selected_option": {"value": "acme"}}},
        "date": {"value": {"type": "datepicker", "selected_date": date}},
        "time": {"value": {"type": "timepicker", "selected_time": time}},
        "duration": {"value": {"type": "plain_text_input", "value": duration}},
        "engineers": {"value": {"type": "multi_users_select", "selected_users": list(users)}},
        "options": {
            "value": {"type": "checkboxes", "selected_options": [{"value": o} for o in options]}
        },
    }


def test_book_with_no_text_opens_the_form(acme, standin):
    reply = acme.command("/book")
    assert reply.status == 200
    (call,) = standin.calls_to("views.open")
    assert call.params["trigger_id"] == reply.trigger_id
    view = call.params["view"]
    assert view["callback_id"] == "book_session"
    ids = [b["block_id"] for b in view["blocks"]]
    assert ids == ["customer", "date", "time", "duration", "engineers", "options"]
    assert [o["value"] for o in view["blocks"][0]["element"]["options"]] == ["acme", "globex"]
    assert count(acme.database, Booking) == 0


def test_a_stranger_gets_no_form(acme, standin):
    reply = acme.command("/book", STRANGER)
    assert reply.text.startswith(":no_entry:")
    assert standin.calls_to("views.open") == []


def test_the_form_books_like_the_command(acme, standin, clock):
    reply = acme.interaction(submission(form_values(users=[JO], options=["extra"])))
    assert reply.status == 200 and "errors" not in reply.body, reply.raw
    row = booking(acme.database)
    assert (row.start_at, row.minutes) == (datetime(2026, 11, 23, 15, 0, tzinfo=UTC), 60)
    with acme.database.session() as db:
        assert {(e.user_id, e.extra) for e in db.scalars(select(BookingEngineer))} == {
            (AGENT, False),
            (JO, True),
        }
    (dm,) = standin.posted(AGENT)
    assert "Booked #1" in dm["text"]


def test_the_form_shows_errors_by_field_and_records_nothing(acme):
    reply = acme.interaction(submission(form_values(duration="9h")))
    assert reply.body["response_action"] == "errors"
    assert "longer than the longest" in reply.body["errors"]["duration"]
    reply = acme.interaction(submission(form_values(date="2026-11-19")))
    assert "in the past" in reply.body["errors"]["date"]
    acme.command("/book acme 2026-11-23 15:00 1h")
    reply = acme.interaction(submission(form_values()))
    assert "alex is already booked" in reply.body["errors"]["engineers"]
    reply = acme.interaction(submission(form_values(), user=STRANGER))
    assert reply.body["response_action"] == "errors"
    assert count(acme.database, Booking) == 1


# --- two requests at once -----------------------------------------------------------------------


def test_two_bookings_at_once_cannot_both_take_an_engineer(acme, clock):
    tz = ZoneInfo("Europe/London")
    for round_ in range(4):
        day = f"2026-12-{round_ + 1:02d}"
        forms = [
            bookings.BookingForm(customer=name, day=day, clock="10:00", duration="1h")
            for name in ("acme", "globex")
        ]
        barrier = threading.Barrier(2)
        results: list[object] = []

        def attempt(form, barrier=barrier, results=results):
            barrier.wait()
            try:
                with acme.database.session() as db:
                    made = bookings.book(db, acme.policy, form, agent=AGENT, tz=tz, now=clock.now())
                    results.append(made.id)
            except InputError as exc:
                results.append(str(exc))

        threads = [threading.Thread(target=attempt, args=(form,)) for form in forms]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        ids = [r for r in results if isinstance(r, int)]
        errors = [r for r in results if isinstance(r, str)]
        assert len(ids) == 1 and len(errors) == 1, results
        assert "is already booked with" in errors[0]
    with acme.database.session() as db:
        assert db.scalar(select(func.count()).select_from(Booking)) == 4


@pytest.mark.parametrize("typed", ["#2147483648", "99999999999"])
def test_an_id_too_large_to_exist_is_unknown_not_a_crash(acme, typed):
    for action in ("cancel", "noshow"):
        reply = acme.command(f"/book {action} {typed}")
        assert reply.status == 200
        assert reply.text.startswith(f":warning: There is no booking #{typed.lstrip('#')}.")


def test_the_reply_says_where_the_late_cancellation_alert_goes(acme, clock):
    acme.command("/book acme tomorrow 09:00 1h")
    assert f"<#{TEAM}> has been told." in acme.command("/book cancel #1").text
    acme.command("/hourglass customer add initech plan=professional", MANAGER)  # no channel
    acme.command("/book initech tomorrow 08:00 1h")  # 22h ahead: late
    reply = acme.command("/book cancel #2")
    assert "no alert channel is set for this customer, so nobody else has been told." in reply.text
