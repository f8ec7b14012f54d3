"""The audit log (store.models.audit): one row per correction. Add and flush; never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from store.models import AuditEntry
from store.repositories.core import Repository


class AuditLog(Repository[AuditEntry]):
    model = AuditEntry

    @staticmethod
    def record(
        db: Session,
        *,
        actor: str,
        action: str,
        subject_kind: str,
        subject_id: int | str,
        at: datetime,
        customer_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> AuditEntry:
        """Keep one correction: `action` (`time_entry.undo`) done by `actor` at `at` to
        `subject_kind` `subject_id`, with what it was (`before`) and is (`after`)."""
        return AuditLog.add(
            db,
            AuditEntry(
                at=at,
                actor=actor,
                action=action,
                subject_kind=subject_kind,
                subject_id=str(subject_id),
                customer_id=customer_id,
                before=before,
                after=after,
                reason=reason,
            ),
        )

    @staticmethod
    def for_subject(db: Session, subject_kind: str, subject_id: int | str) -> list[AuditEntry]:
        """One row's corrections, oldest first."""
        query = select(AuditEntry).where(
            AuditEntry.subject_kind == subject_kind, AuditEntry.subject_id == str(subject_id)
        )
        return list(db.scalars(query.order_by(AuditEntry.at, AuditEntry.id)))

    @staticmethod
    def history(
        db: Session,
        *,
        customer_id: int | None = None,
        user_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Corrections, newest first: of one customer (the one a row concerned, or the one
        an edit moved it to: `after.customer_id`); or made by or to one user (a role given
        or taken); from `start` (inclusive) to `end` (exclusive)."""
        query = select(AuditEntry)
        if customer_id is not None:
            moved_to = AuditEntry.after["customer_id"].as_integer() == customer_id
            query = query.where(or_(AuditEntry.customer_id == customer_id, moved_to))
        if user_id is not None:
            to_them = and_(AuditEntry.subject_kind == "user", AuditEntry.subject_id == user_id)
            query = query.where(or_(AuditEntry.actor == user_id, to_them))
        if start is not None:
            query = query.where(AuditEntry.at >= start)
        if end is not None:
            query = query.where(AuditEntry.at < end)
        query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return list(db.scalars(query))
