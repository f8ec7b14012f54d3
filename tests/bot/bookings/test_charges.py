"""What a booking bills (bot/bookings/charges.py): the notice rule and billed minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bookings import charges
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


@settings(max_examples=80, deadline=None)
@given(notice=st.integers(min_value=1, max_value=72 * 60))
def test_late_exactly_when_less_than_the_free_notice_is_left(notice):
    now = START - timedelta(minutes=notice)
    assert charges.is_late(POLICY, START, now) == (notice < 24 * 60)


@settings(max_examples=60, deadline=None)
@given(minutes=st.integers(min_value=1, max_value=480), extras=st.integers(0, 4))
def test_a_held_session_bills_its_length_for_the_lead_and_each_extra(minutes, extras):
    booking = make(minutes, extras)
    before = START + timedelta(minutes=minutes) - timedelta(seconds=1)
    after = START + timedelta(minutes=minutes)
    assert charges.status_of(booking, before) == "booked"
    assert charges.billed_minutes(booking, before) == 0
    assert charges.status_of(booking, after) == "held"
    assert charges.billed_minutes(booking, after) == minutes * (1 + extras)


@pytest.mark.parametrize("status", ["late_cancelled", "no_show"])
def test_charged_statuses_bill_their_charge_and_never_become_held(status):
    booking = make(120, 2, status=status, charge=30)
    later = START + timedelta(days=1)
    assert charges.status_of(booking, later) == status
    assert charges.billed_minutes(booking, later) == 30


def test_a_free_cancellation_bills_nothing_ever():
    booking = make(status="cancelled")
    assert charges.billed_minutes(booking, START + timedelta(days=3)) == 0
