"""The audit trail of corrections: who changed a recorded entry or call, when, and what it was.

Issue 19: every mistake is fixable from Slack and every fix is audited. A correction never
deletes: an undo marks the row (`undone_at`), an edit changes it in place, and one row here
keeps who did it, when, and the values before (and after) as JSON, so nothing is lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime


class Correction(Base):
    """One undo or edit of a recorded row.

    `subject` names the kind of row (`time_entry`, `phone_call`) and `subject_id` its id;
    `action` is `undo` or `edit`; `before` is the row's values before the correction and
    `after` its values after (NULL for an undo: the row no longer counts).
    """

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_subject", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
