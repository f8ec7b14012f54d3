"""The policy versions recorded at start-up (issue 16): each version's table as it was read,
so a later start can refuse an edit that would change a day already past.

The rows with `superseded_at` NULL are the record in force; older rows stay as the audit of
every change (who recorded it, and for a re-rate, from which day the past was re-rated).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime


class PolicyVersionRecord(Base):
    __tablename__ = "policy_versions"
    __table_args__ = (Index("ix_policy_versions_superseded_at", "superseded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[date | None] = mapped_column(Date)  # NULL: from the beginning
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))  # "start-up", or the re-rating manager
    rerated_from: Mapped[date | None] = mapped_column(Date)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
