"""The bookings sweep (bot/bookings/reminders.py) run by several clocks at once, on SQLite
and Postgres: each booking handled once, and no deadlock between clocks that lock the
customers of their batches."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.bookings import sessions as bookings
from bot.bookings.reminders import reminder_sweep
from store.models import Alert, Booking
from tests import factories
from tests.concurrency import together

pytestmark = pytest.mark.slow  # issue 18's proof: transactions at once

LONDON = ZoneInfo("Europe/London")
NAMES = ["acme", "globex", "initech", "umbrella", "hooli", "stark"]


def test_four_clocks_sweeping_held_and_reminded_bookings_at_once(database, policy, clock):
    now = clock.now()  # Fri 20 Nov 10:00
    with database.session() as db:
        for index, name in enumerate(NAMES):
            customer = factories.customer(db, policy, name, now=now, team=f"C{name.upper()}T")
            factories.hour_block(db, policy, customer, hours=10, now=now)
            # Half held by the sweep's time (today 12:00-13:00), half reminded a day ahead.
            day, at = ("2026-11-20", "12:00") if index % 2 else ("2026-11-21", "12:00")
            form = bookings.BookingForm(customer=name, day=day, clock=at, duration="1h")
            bookings.book(db, policy, form, agent=f"U{index}", tz=LONDON, now=now)
    later = now + timedelta(hours=4)

    def sweep() -> int:
        with database.session() as db:
            return reminder_sweep(db, policy, later)

    results = together(*(sweep for _ in range(4)))
    assert [r for r in results if isinstance(r, Exception)] == []
    with database.session() as db:
        due = select(func.count()).where(Booking.next_reminder_at <= later)
        assert db.scalar(due) == 0  # every booking handled
        reminders = select(func.count()).where(Alert.kind == "booking_reminder")
        assert db.scalar(reminders) == 6  # per booking a day ahead: its engineer, its channel
