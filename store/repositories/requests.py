"""Signed requests already seen (issue 18 item 6). Add and flush; never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, text
from sqlalchemy.orm import Session

from store.models import SeenRequest
from store.models.base import UTCDateTime

# Every signed request runs this once, so it is a text statement: SQLAlchemy cannot cache
# the compiled form of an `insert(...).on_conflict_do_nothing()` (its cache key is None), and
# compiling it anew cost about as much as the rest of the gate (issue 11, the ack profile).
# The same SQL on SQLite (3.35+: RETURNING) and Postgres.
_REMEMBER = text(
    'INSERT INTO seen_requests ("key", signed_at) VALUES (:key, :signed_at) '
    'ON CONFLICT ("key") DO NOTHING RETURNING "key"'
).bindparams(bindparam("signed_at", type_=UTCDateTime()))


class SeenRequests:
    @staticmethod
    def remember(db: Session, key: str, signed_at: datetime) -> bool:
        """True the first time `key` is seen; False if it was already (a replay). Two
        processes racing on the same key: exactly one gets True (INSERT … ON CONFLICT DO
        NOTHING; RETURNING says whether a row went in)."""
        return db.execute(_REMEMBER, {"key": key, "signed_at": signed_at}).first() is not None

    @staticmethod
    def forget_before(db: Session, cutoff: datetime) -> int:
        """Forget the requests signed before `cutoff`; how many were forgotten."""
        result = db.execute(delete(SeenRequest).where(SeenRequest.signed_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
