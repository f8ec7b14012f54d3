"""The recorded policy versions (issue 16). Add and flush; never commit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import PolicyVersionRecord
from store.repositories.core import lock_key, locked

Version = tuple[date | None, dict[str, Any]]


def fingerprint(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class PolicyVersions:
    @staticmethod
    def current(db: Session) -> list[Version]:
        """The versions in force, oldest first, locked until the transaction ends: on
        Postgres by an advisory lock, which also holds when nothing is recorded yet (the
        first start of the web workers and the clock at once records them once)."""
        lock_key(db, "policy-versions")
        query = select(PolicyVersionRecord).where(PolicyVersionRecord.superseded_at.is_(None))
        rows = db.scalars(locked(db, query)).all()
        return sorted(
            ((row.effective_from, row.content) for row in rows),
            key=lambda version: version[0] or date.min,
        )

    @staticmethod
    def record(
        db: Session,
        versions: Sequence[Version],
        *,
        now: datetime,
        by: str,
        rerated_from: date | None = None,
    ) -> None:
        """Supersede the versions in force with `versions`."""
        db.execute(
            update(PolicyVersionRecord)
            .where(PolicyVersionRecord.superseded_at.is_(None))
            .values(superseded_at=now)
        )
        for effective, content in versions:
            db.add(
                PolicyVersionRecord(
                    effective_from=effective,
                    content=content,
                    fingerprint=fingerprint(content),
                    recorded_at=now,
                    recorded_by=by,
                    rerated_from=rerated_from,
                )
            )
        db.flush()
