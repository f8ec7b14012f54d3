"""The audit trail of corrections (store.models.corrections). Add and flush; never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Correction
from store.repositories.core import Repository


class Corrections(Repository[Correction]):
    model = Correction

    @staticmethod
    def record(
        db: Session,
        *,
        subject: str,
        subject_id: int,
        action: str,
        actor: str,
        at: datetime,
        before: dict[str, Any],
        after: dict[str, Any] | None = None,
    ) -> Correction:
        return Corrections.add(
            db,
            Correction(
                subject=subject,
                subject_id=subject_id,
                action=action,
                actor=actor,
                at=at,
                before=before,
                after=after,
            ),
        )

    @staticmethod
    def for_subject(db: Session, subject: str, subject_id: int) -> list[Correction]:
        """A row's corrections, oldest first."""
        return list(
            db.scalars(
                select(Correction)
                .where(Correction.subject == subject, Correction.subject_id == subject_id)
                .order_by(Correction.at, Correction.id)
            )
        )
