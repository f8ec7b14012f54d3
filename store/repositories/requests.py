"""Signed requests already seen (issue 18 item 6). Add and flush; never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from store.models import SeenRequest
from store.repositories.core import insert_if_absent


class SeenRequests:
    @staticmethod
    def remember(db: Session, key: str, signed_at: datetime) -> bool:
        """True the first time `key` is seen; False if it was already (a replay). Two
        processes racing on the same key: exactly one gets True."""
        return insert_if_absent(db, SeenRequest, {"key": key, "signed_at": signed_at}, ["key"])

    @staticmethod
    def forget_before(db: Session, cutoff: datetime) -> int:
        """Forget the requests signed before `cutoff`; how many were forgotten."""
        result = db.execute(delete(SeenRequest).where(SeenRequest.signed_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
