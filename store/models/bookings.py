"""Booked 1-on-1 and training sessions, and the engineers on each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, UTCDateTime
from store.models.core import Customer


class Booking(Base):
    """A session booked ahead for a customer.

    `status` is stored for what a person decides (booked, cancelled, late_cancelled,
    no_show); `held` is derived from the clock (a booking not cancelled whose end has
    passed), so statements are right without any sweep having run.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_start_at", "start_at"),
        Index("ix_bookings_next_reminder_at", "next_reminder_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # Many-to-one: read from the session's identity map when already loaded.
    customer: Mapped[Customer] = relationship(lazy="select")
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    training: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="booked")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(32))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    # Minutes charged for a late cancellation or a no-show (policy at the time it happened).
    charge_minutes: Mapped[int | None] = mapped_column(Integer)
    # When the reminder sweep next has something to send for this booking (None: nothing).
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A cancellation or no-show undone (`/book restore`): who, when, and the status it had.
    restored_by: Mapped[str | None] = mapped_column(String(32))
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    restored_from: Mapped[str | None] = mapped_column(String(20))
    # A late-cancellation or no-show charge waived (`/book waive`): who, when and why.
    waived_by: Mapped[str | None] = mapped_column(String(32))
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waive_reason: Mapped[str | None] = mapped_column(String(500))

    engineers: Mapped[list[BookingEngineer]] = relationship(
        back_populates="booking", order_by="BookingEngineer.id", lazy="selectin"
    )


class BookingEngineer(Base):
    """An engineer on a booking; `extra` ones were requested by the customer and billed in addition."""

    __tablename__ = "booking_engineers"
    __table_args__ = (UniqueConstraint("booking_id", "user_id", name="uq_booking_engineers_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    extra: Mapped[bool] = mapped_column(Boolean, default=False)

    booking: Mapped[Booking] = relationship(back_populates="engineers")


class BookingMove(Base):
    """One move of a booking to another time (seed 001: a reschedule counts as a cancellation
    for notice): where it was and went, who moved it and when, and the late charge it billed
    (0 when free). An undone move keeps its row, marked with who undid it and when; its
    charge is then withdrawn."""

    __tablename__ = "booking_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    booking: Mapped[Booking] = relationship(lazy="select")
    from_start: Mapped[datetime] = mapped_column(UTCDateTime)
    from_end: Mapped[datetime] = mapped_column(UTCDateTime)
    to_start: Mapped[datetime] = mapped_column(UTCDateTime)
    to_end: Mapped[datetime] = mapped_column(UTCDateTime)
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    moved_by: Mapped[str] = mapped_column(String(32))
    # Minutes billed for moving with less than the free notice (policy at the time); 0: free.
    charge_minutes: Mapped[int] = mapped_column(Integer, default=0)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by: Mapped[str | None] = mapped_column(String(32))
