"""SLA tickets and their event log (issue 6).

A ticket's clock state is never stored: it is derived from `ticket_events` by
bot.sla.clocks.compute_clocks. `next_check_at` is only a hint for the sweep (when the alert state
may change next), read through its index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, UTCDateTime
from store.models.core import Customer


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # One ticket per Slack message, however often Slack retries the event.
        UniqueConstraint("channel_id", "thread_ts", name="uq_tickets_channel_id"),
        Index("ix_tickets_next_check_at", "next_check_at"),
        Index("ix_tickets_customer_opened", "customer_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    # Many-to-one: read from the session's identity map when already loaded.
    customer: Mapped[Customer] = relationship(lazy="select")
    priority: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    source_event_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee: Mapped[str | None] = mapped_column(String(32))
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketEventRecord(Base):
    """One thing that happened to a ticket (bot.sla.eventlog.EventKind), in its log."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        # A Slack event (retried with the same event_id) is counted once.
        UniqueConstraint("slack_event_id", name="uq_ticket_events_slack_event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(32))
    slack_event_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SlaPolicyMark(Base):
    """A fingerprint of the SLA part of the policy the sweep last ran with. When the policy
    changes, every unresolved ticket is re-checked once, so new due times take effect."""

    __tablename__ = "sla_policy_marks"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
