"""Customers, roles, hour blocks, user profiles and the alert outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, UTCDateTime


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    plan: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(32), index=True)  # shared with them
    # The team's internal channel for this customer (migration 0015); None: the provider's
    # alert_channel. Internal alerts go here, never to channel_id (SPEC §5).
    team_channel: Mapped[str | None] = mapped_column(String(32))
    seats: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(32))
    # The telephone add-on (seed 000, migration 0011): None while the plan's default stands,
    # True when bought on a plan without phone support, False when removed; who set it, when.
    phone_support: Mapped[bool | None] = mapped_column(Boolean)
    phone_support_by: Mapped[str | None] = mapped_column(String(32))
    phone_support_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who last changed the plan, seats or channels with `customer edit`, and when
    # (migration 0017); None until the first edit.
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Archived customers refuse new work and keep their history (migration 0022); None: active.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_by: Mapped[str | None] = mapped_column(String(32))
    # Bumped by the database's triggers (migration 0030C) in every transaction that writes a
    # row a balance is derived from (time entries, blocks, bookings, their engineers and
    # moves, calls, issued statements): the key of the kept `/balance` (bot/reports/
    # balance_cache.py). Never written by the application.
    balance_version: Mapped[int] = mapped_column(Integer, server_default="0")

    blocks: Mapped[list[HourBlock]] = relationship(
        back_populates="customer", order_by="HourBlock.purchased"
    )


class Role(Base):
    __tablename__ = "roles"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UserProfile(Base):
    """What we cache from users.info: the timezone dates and times are read in."""

    __tablename__ = "user_profiles"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tz: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(128))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HourBlock(Base):
    """A prepaid purchase of support hours, valid from `purchased` until `expires` (exclusive)."""

    __tablename__ = "hour_blocks"
    __table_args__ = (Index("ix_hour_blocks_expires", "expires"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    purchased: Mapped[date] = mapped_column(Date)
    expires: Mapped[date] = mapped_column(Date)
    ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(32))
    # Set when the expiry was recorded and the remainder forfeited.
    forfeited_minutes: Mapped[int | None] = mapped_column(Integer)
    expired_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a manager voided the block (migration 0022): it counts nowhere, the row stays.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by: Mapped[str | None] = mapped_column(String(32))

    customer: Mapped[Customer] = relationship(back_populates="blocks")


class Alert(Base):
    """The outbox: one row per alert key, written in the transaction that causes it.

    The clock delivers rows whose `next_attempt_at` has come (chat.postMessage the first
    time, chat.update after), so an alert is posted once and then updated in place.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("key", name="uq_alerts_key"),
        Index("ix_alerts_next_attempt_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    # Who the words are for: team, customer or direct (a DM); routed by bot.alerts.outbox.
    audience: Mapped[str | None] = mapped_column(String(16))
    thread_ts: Mapped[str | None] = mapped_column(String(32))  # post as a reply in this thread
    state: Mapped[str] = mapped_column(String(40), default="raised")
    text: Mapped[str] = mapped_column(Text)
    blocks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    delivered_version: Mapped[int] = mapped_column(Integer, default=0)
    posted_channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The fencing lease (migration 0018): who is delivering the row now, until when on the
    # database's clock. Only the holder of `lease_token` may record the outcome.
    lease_token: Mapped[str | None] = mapped_column(String(32))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Database time of the first chat.postMessage whose outcome is not known (a timeout, a
    # crash after sending, a lost lease): while set and `ts` is NULL, the message may be in
    # the channel, so the next attempt looks for it (by its metadata) before posting.
    post_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the current run of failed deliveries began (the clock's time); NULL once delivered.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
