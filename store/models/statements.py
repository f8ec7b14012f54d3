"""Issued (frozen) monthly statements: the JSON exactly as issued, its hash, who and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime


class IssuedStatement(Base):
    """A customer's statement for one month, frozen when a manager issued it (migration 0013).

    `json` is the statement's text byte for byte as it was issued; `sha256` is the hex digest
    of that text (UTF-8), so anyone can check a copy. One row per customer and month.
    """

    __tablename__ = "issued_statements"
    __table_args__ = (UniqueConstraint("customer_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(32))
