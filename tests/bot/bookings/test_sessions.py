"""Booking ids as `/book cancel` and `/book noshow` read them (bot/bookings/sessions.py)."""

from __future__ import annotations

import pytest

from bot.bookings import sessions as bookings
from bot.parsing import InputError


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
