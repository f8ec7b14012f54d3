"""The pure rules of bot/bookings.py: grammar, notice, billed minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bookings import sessions as bookings
from bot.parsing import InputError
from bot.policy.loader import load_policy
from store.models import Booking, BookingEngineer

POLICY = load_policy(None)
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def make(minutes=60, extras=0, status="booked", charge=None) -> Booking:
    booking = Booking(
        start_at=START,
        end_at=START + timedelta(minutes=minutes),
        minutes=minutes,
        status=status,
        charge_minutes=charge,
        training=False,
    )
    booking.engineers = [BookingEngineer(user_id="ULEAD", extra=False)] + [
        BookingEngineer(user_id=f"UX{i}", extra=True) for i in range(extras)
    ]
    return booking


def test_the_grammar_reads_mentions_and_flags():
    form = bookings.parse_book_text(
        [
            "acme",
            "tomorrow",
            "15:00",
            "1h",
            "<@U1|jo>",
            "<@U2|kim>",
            "EXTRA",
            "training",
            "<@U1|jo>",
        ]
    )
    assert (form.customer, form.day, form.clock, form.duration) == (
        "acme",
        "tomorrow",
        "15:00",
        "1h",
    )
    assert form.engineers == ("U1", "U2")
    assert (form.extra, form.training) == (True, True)
    assert form.labels == {"U1": "jo", "U2": "kim"}


@pytest.mark.parametrize(
    "text", ["acme tomorrow 15:00", "acme tomorrow 15:00 1h <#C1|x>", "acme a b c d"]
)
def test_the_grammar_refuses_what_it_cannot_read(text):
    with pytest.raises(InputError):
        bookings.parse_book_text(text.split())


@pytest.mark.parametrize(("text", "number"), [("#12", 12), ("12", 12), (" #7 ", 7)])
def test_ids_with_or_without_the_hash(text, number):
    assert bookings.parse_booking_id(text) == number


@pytest.mark.parametrize("text", ["#", "x", "#-1", "1.5", "#1234567890123456789"])
def test_bad_ids(text):
    with pytest.raises(InputError, match="not a booking id"):
        bookings.parse_booking_id(text)


def test_an_id_larger_than_any_booking_is_unknown():
    with pytest.raises(InputError, match="there is no booking #99999999999999"):
        bookings.parse_booking_id("#99999999999999")


@settings(max_examples=80, deadline=None)
@given(notice=st.integers(min_value=1, max_value=72 * 60))
def test_late_exactly_when_less_than_the_free_notice_is_left(notice):
    now = START - timedelta(minutes=notice)
    assert bookings.is_late(POLICY, START, now) == (notice < 24 * 60)


@settings(max_examples=60, deadline=None)
@given(minutes=st.integers(min_value=1, max_value=480), extras=st.integers(0, 4))
def test_a_held_session_bills_its_length_for_the_lead_and_each_extra(minutes, extras):
    booking = make(minutes, extras)
    before = START + timedelta(minutes=minutes) - timedelta(seconds=1)
    after = START + timedelta(minutes=minutes)
    assert bookings.status_of(booking, before) == "booked"
    assert bookings.billed_minutes(booking, before) == 0
    assert bookings.status_of(booking, after) == "held"
    assert bookings.billed_minutes(booking, after) == minutes * (1 + extras)


@pytest.mark.parametrize("status", ["late_cancelled", "no_show"])
def test_charged_statuses_bill_their_charge_and_never_become_held(status):
    booking = make(120, 2, status=status, charge=30)
    later = START + timedelta(days=1)
    assert bookings.status_of(booking, later) == status
    assert bookings.billed_minutes(booking, later) == 30


def test_a_free_cancellation_bills_nothing_ever():
    booking = make(status="cancelled")
    assert bookings.billed_minutes(booking, START + timedelta(days=3)) == 0
