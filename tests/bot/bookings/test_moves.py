"""The *Move anyway* token: what a late move's button carries reads back exactly, and
anything else is refused in plain words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.bookings.moves import MoveQuote, read_token
from bot.parsing import InputError
from store.models import Booking

instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda at: at.replace(microsecond=0))


@given(booking_id=st.integers(1, 2**31 - 1), start=instants, to=instants)
def test_the_token_reads_back(booking_id, start, to):
    booking = Booking(id=booking_id, start_at=start, end_at=start + timedelta(hours=1))
    quote = MoveQuote(booking, to, timedelta(hours=1), 30)
    assert read_token(quote.token()) == (booking_id, to, start)


@pytest.mark.parametrize("token", ["", "1", "1|2", "a|b|c", "1|2|3|4"])
def test_a_broken_token_is_refused(token):
    with pytest.raises(InputError, match="type the move again"):
        read_token(token)
