"""Logged support time: one row per `/log` entry; `/log undo` marks a row, never deletes it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, UTCDateTime
from store.models.core import Customer, HourBlock


class TimeEntry(Base):
    """Minutes an agent worked for a customer on a calendar date.

    `kind` is `one_on_one` (billable) or `general` (never billed). `undone_at` is set by
    `/log undo`: the row stays for the record but no longer counts anywhere.
    """

    __tablename__ = "time_entries"
    __table_args__ = (
        # The ledger and the statement read one customer's days; undo/list read one agent's.
        Index("ix_time_entries_customer_day", "customer_id", "work_date"),
        Index("ix_time_entries_agent_created", "agent_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    # Many-to-one: read from the session's identity map when already loaded.
    customer: Mapped[Customer] = relationship(lazy="select")
    agent_id: Mapped[str] = mapped_column(String(32))
    work_date: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    activity: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# The block_expired sweep reads blocks whose expiry is not yet recorded and whose date has
# come; this index answers exactly that without scanning every block ever sold.
Index("ix_hour_blocks_expiry_unrecorded", HourBlock.expired_recorded_at, HourBlock.expires)
