"""The audit log: every correction made from Slack or the CLI, one row each (issue 19 item 1).

A correction never deletes: an undo marks the row (`undone_at`), an edit or a void changes
it in place, and one `audit_log` row keeps who did it (`actor`: a Slack user id, or `cli`),
when (`at`, UTC), what it was (`action`: `time_entry.undo`, `role.add`, `booking.waive`, …),
what it was done to (`subject_kind` and `subject_id`: `time_entry` `12`, `user` `U…`,
`customer` `3`), the customer it concerns (NULL for a role), the values before and after
as JSON, and the reason given. `/hourglass history` reads it, newest first.

`customer_id` is deliberately not a foreign key: the log is append-only and must never take
a key-share lock on a customer row that another transaction holds (nor block a customer
withdrawn in its first second); the customers table keeps its rows, archived, not deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime


class AuditEntry(Base):
    """One correction: who, when, what, to what, and the values before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_subject", "subject_kind", "subject_id"),
        Index("ix_audit_log_customer_at", "customer_id", "at"),
        Index("ix_audit_log_actor_at", "actor", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
