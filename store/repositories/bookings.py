"""Queries for bookings. Add and flush; never commit (the caller owns the transaction)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Booking, BookingEngineer, BookingMove
from store.repositories.core import lock_keys, locked
from store.repositories.once import read_once


class Bookings:
    @staticmethod
    def spans_ending_after(
        db: Session, customer_id: int, moment: datetime
    ) -> list[tuple[datetime, datetime]]:
        """(start, end) of the customer's bookings, of any status, that end after `moment`."""
        query = select(Booking.start_at, Booking.end_at).where(
            Booking.customer_id == customer_id, Booking.end_at > moment
        )
        return [(start, end) for start, end in db.execute(query)]

    @staticmethod
    def lock_engineers(db: Session, user_ids: Iterable[str]) -> None:
        """Serialise bookings per engineer until the transaction ends.

        Postgres: a transaction-scoped advisory lock `("engineer", user)` per engineer, taken
        in sorted order so two bookings sharing engineers never deadlock (`lock_key`).
        SQLite already serialises writers (BEGIN IMMEDIATE).
        """
        lock_keys(db, "engineer", user_ids)

    @staticmethod
    def clashes(
        db: Session,
        user_ids: Iterable[str],
        start: datetime,
        end: datetime,
        *,
        exclude: int | None = None,
    ) -> list[tuple[Booking, str]]:
        """Live bookings of any of these engineers overlapping [start, end), with who clashes;
        `exclude`: a booking not to count (the one being moved)."""
        query = (
            select(Booking, BookingEngineer.user_id)
            .join(BookingEngineer, BookingEngineer.booking_id == Booking.id)
            .where(
                BookingEngineer.user_id.in_(list(user_ids)),
                Booking.status == "booked",
                Booking.start_at < end,
                Booking.end_at > start,
            )
            .order_by(Booking.start_at, Booking.id)
        )
        if exclude is not None:
            query = query.where(Booking.id != exclude)
        rows = db.execute(query)
        return [(booking, user_id) for booking, user_id in rows]

    @staticmethod
    def add(db: Session, booking: Booking, engineers: list[tuple[str, bool]]) -> Booking:
        db.add(booking)
        db.flush()
        for user_id, extra in engineers:
            db.add(BookingEngineer(booking_id=booking.id, user_id=user_id, extra=extra))
        db.flush()
        db.refresh(booking)
        return booking

    @staticmethod
    def find(db: Session, booking_id: int, *, for_update: bool = False) -> Booking | None:
        query = select(Booking).where(Booking.id == booking_id)
        return db.scalar(locked(db, query) if for_update else query)

    @staticmethod
    def for_customer(db: Session, customer_id: int) -> list[Booking]:
        return list(
            db.scalars(
                select(Booking)
                .where(Booking.customer_id == customer_id)
                .order_by(Booking.start_at, Booking.id)
            )
        )

    @staticmethod
    def for_customers(db: Session, customer_ids: Collection[int]) -> dict[int, list[Booking]]:
        """`for_customer` for a sweep's batch of customers, in one round trip."""
        found: dict[int, list[Booking]] = {customer_id: [] for customer_id in customer_ids}
        if found:
            query = (
                select(Booking)
                .where(Booking.customer_id.in_(found))
                .order_by(Booking.start_at, Booking.id)
            )
            for booking in db.scalars(query):
                found[booking.customer_id].append(booking)
        return found

    @staticmethod
    def starting_between(
        db: Session,
        first: datetime,
        last: datetime,
        *,
        customer_id: int | None = None,
        limit: int | None = None,
    ) -> list[Booking]:
        """Bookings with first <= start < last, through the start_at index (once per
        pass inside `reading_once`)."""
        query = select(Booking).where(Booking.start_at >= first, Booking.start_at < last)
        if customer_id is not None:
            query = query.where(Booking.customer_id == customer_id)
        query = query.order_by(Booking.start_at, Booking.id)
        if limit is not None:
            query = query.limit(limit)
        key = ("bookings starting between", first, last, customer_id, limit)
        return read_once(db, key, lambda: list(db.scalars(query)))

    @staticmethod
    def reminders_due(db: Session, now: datetime, limit: int = 200) -> list[Booking]:
        """Bookings with a reminder due, through the next_reminder_at index; rows locked on
        Postgres (SKIP LOCKED) so two clocks never take the same booking."""
        query = (
            select(Booking)
            .where(Booking.next_reminder_at.is_not(None), Booking.next_reminder_at <= now)
            .order_by(Booking.next_reminder_at, Booking.id)
            .limit(limit)
        )
        return list(db.scalars(locked(db, query, skip_locked=True)))


class BookingMoves:
    @staticmethod
    def add(db: Session, move: BookingMove) -> BookingMove:
        db.add(move)
        db.flush()
        return move

    @staticmethod
    def latest_standing(db: Session, booking_id: int) -> BookingMove | None:
        """The booking's most recent move not undone (the one an undo takes back)."""
        return db.scalar(
            select(BookingMove)
            .where(BookingMove.booking_id == booking_id, BookingMove.undone_at.is_(None))
            .order_by(BookingMove.id.desc())
            .limit(1)
        )

    @staticmethod
    def charged(db: Session, customer_id: int) -> list[BookingMove]:
        """The customer's late moves that still bill (charged, not undone), oldest first
        (once per pass inside `reading_once`)."""
        query = (
            select(BookingMove)
            .join(Booking, Booking.id == BookingMove.booking_id)
            .where(
                Booking.customer_id == customer_id,
                BookingMove.charge_minutes > 0,
                BookingMove.undone_at.is_(None),
            )
            .order_by(BookingMove.moved_at, BookingMove.id)
        )
        return read_once(db, ("charged moves", customer_id), lambda: list(db.scalars(query)))

    @staticmethod
    def charged_for(db: Session, customer_ids: Collection[int]) -> dict[int, list[BookingMove]]:
        """`charged` for a sweep's batch of customers, in one round trip."""
        found: dict[int, list[BookingMove]] = {customer_id: [] for customer_id in customer_ids}
        if found:
            query = (
                select(Booking.customer_id, BookingMove)
                .join(Booking, Booking.id == BookingMove.booking_id)
                .where(
                    Booking.customer_id.in_(found),
                    BookingMove.charge_minutes > 0,
                    BookingMove.undone_at.is_(None),
                )
                .order_by(BookingMove.moved_at, BookingMove.id)
            )
            for customer_id, move in db.execute(query):
                found[customer_id].append(move)
        return found
