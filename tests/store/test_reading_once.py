"""`reading_once` (issue 11): inside it a repeated repository read costs one statement, and
never serves rows the session has changed since. On both databases (tests/statements.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from store.models import Booking, BookingMove
from store.repositories.bookings import BookingMoves, Bookings
from store.repositories.once import reading_once
from tests import factories
from tests.statements import counting

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)


def _booking(db, customer_id: int, start: datetime) -> Booking:
    booking = Booking(
        customer_id=customer_id,
        start_at=start,
        end_at=start + timedelta(hours=1),
        minutes=60,
        training=False,
        status="booked",
        created_at=NOW,
        created_by="test",
    )
    db.add(booking)
    db.flush()
    return booking


def _move(db, booking: Booking, minutes: int) -> BookingMove:
    return BookingMoves.add(
        db,
        BookingMove(
            booking_id=booking.id,
            from_start=booking.start_at,
            from_end=booking.end_at,
            to_start=booking.start_at + timedelta(days=1),
            to_end=booking.end_at + timedelta(days=1),
            moved_at=NOW,
            moved_by="test",
            charge_minutes=minutes,
        ),
    )


def _between(db, customer_id: int) -> list[Booking]:
    return Bookings.starting_between(db, NOW, NOW + timedelta(days=30), customer_id=customer_id)


def test_a_repeated_read_is_one_statement_and_a_write_reads_again(database, policy):
    with database.session() as db:
        acme = factories.customer(db, policy, "acme", now=NOW)
        first = _booking(db, acme.id, START)
        _move(db, first, 30)
    with database.session() as db, counting(database.engine) as seen, reading_once(db):
        assert [b.id for b in _between(db, acme.id)] == [first.id]
        assert [m.charge_minutes for m in BookingMoves.charged(db, acme.id)] == [30]
        first_reads = len(seen)  # the bookings (with their engineers) and the moves
        rows = _between(db, acme.id)
        rows.append(rows[0])  # a caller's list is its own
        assert [b.id for b in _between(db, acme.id)] == [first.id]
        assert len(BookingMoves.charged(db, acme.id)) == 1
        assert len(seen) == first_reads, "\n".join(seen)
        # Pending: the read goes to the database (flushing it first), and sees it.
        second = Booking(
            customer_id=acme.id,
            start_at=START + timedelta(days=1),
            end_at=START + timedelta(days=1, hours=1),
            minutes=60,
            training=False,
            status="booked",
            created_at=NOW,
            created_by="test",
        )
        db.add(second)
        assert [b.start_at for b in _between(db, acme.id)] == [START, second.start_at]
        # Flushed: read again.
        _move(db, second, 45)
        assert sorted(m.charge_minutes for m in BookingMoves.charged(db, acme.id)) == [30, 45]
        # An UPDATE through the session: read again.
        db.execute(update(BookingMove).values(charge_minutes=0))
        assert BookingMoves.charged(db, acme.id) == []
        read = len(seen)
        assert BookingMoves.charged(db, acme.id) == []
        assert len(seen) == read
    # Outside the block every read goes to the database.
    with database.session() as db, counting(database.engine) as seen:
        _between(db, acme.id)
        once = len(seen)
        _between(db, acme.id)
        assert len(seen) == 2 * once


def test_nested_blocks_share_the_outer_and_end_with_it(database, policy):
    with database.session() as db:
        acme = factories.customer(db, policy, "acme", now=NOW)
        _booking(db, acme.id, START)
    with database.session() as db, counting(database.engine) as seen:
        with reading_once(db):
            _between(db, acme.id)
            once = len(seen)
            with reading_once(db):
                _between(db, acme.id)
            _between(db, acme.id)
        assert len(seen) == once
        _between(db, acme.id)
        assert len(seen) == 2 * once
