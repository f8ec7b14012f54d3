"""Call timers and recorded phone calls (seed 000: telephone fair use)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, UTCDateTime
from store.models.core import Customer

# phone_calls.billed_as for a call billed at the training rate, outside fair use.
BILLED_AS_TRAINING = "training"


class CallTimer(Base):
    """A running call timer: one row per agent, so it survives restarts and replicas.

    The unique agent_id means a double `/timer start` (or two replicas) can never create a
    second timer; stopping deletes the row, so two stops can never record two calls.
    """

    __tablename__ = "call_timers"
    __table_args__ = (
        UniqueConstraint("agent_id", name="uq_call_timers_agent_id"),
        Index("ix_call_timers_next_reminder_at", "next_reminder_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    # Many-to-one: read from the session's identity map when already loaded.
    customer: Mapped[Customer] = relationship(lazy="select")
    caller: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the timer_forgotten sweep next looks at this timer (indexed: the sweep reads
    # only what is due); NULL once the final reminder (past fair_use.max_call) was sent.
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)


class PhoneCall(Base):
    """A finished call, from a timer or recorded after the fact with /call; `/call undo`
    marks it, never deletes it."""

    __tablename__ = "phone_calls"
    __table_args__ = (
        Index("ix_phone_calls_customer_started", "customer_id", "started_at"),
        Index("ix_phone_calls_agent_started", "agent_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    # Many-to-one: read from the session's identity map when already loaded.
    customer: Mapped[Customer] = relationship(lazy="select")
    caller: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[int] = mapped_column(Integer)
    quality: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # False when the customer's plan has no phone support: kept, but outside fair use.
    covered: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(16))  # "timer" or "manual"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A manager's billing decision on a long call (seed 000: it "might be deemed as training
    # rather than support"): NULL undecided, "training" billed at the training rate and out
    # of fair use, "support" a training decision undone. Who made the last one, and when.
    billed_as: Mapped[str | None] = mapped_column(String(16))
    billed_by: Mapped[str | None] = mapped_column(String(32))
    billed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by `/call undo`: the row stays for the record (who undid it is in `corrections`)
    # but no longer counts anywhere: not in fair use, the statement or a list.
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
