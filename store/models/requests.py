"""Signed requests already seen (issue 18 item 6, migration 0019): a request Slack signed
is served once; the same signature again within Slack's five-minute window is a replay.

The key is the SHA-256 of the request's signature (which already covers its timestamp and
body); `signed_at` is the timestamp Slack signed it with. The clock forgets rows once their
signature can no longer pass the timestamp check.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime


class SeenRequest(Base):
    __tablename__ = "seen_requests"
    __table_args__ = (Index("ix_seen_requests_signed_at", "signed_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
