"""Queries for call timers and phone calls. Add and flush; never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, select, update
from sqlalchemy.orm import Session

from store.models import CallTimer, PhoneCall
from store.models.calls import BILLED_AS_TRAINING
from store.repositories.core import Repository, insert_if_absent, locked


def _live() -> ColumnElement[bool]:
    """A call that was not undone (`/call undo` keeps the row, marked)."""
    return PhoneCall.undone_at.is_(None)


class CallTimers:
    @staticmethod
    def start(db: Session, values: dict[str, Any]) -> bool:
        """Insert the agent's timer unless one is running; True if this one went in."""
        return insert_if_absent(db, CallTimer, values, ["agent_id"])

    @staticmethod
    def for_agent(db: Session, agent_id: str) -> CallTimer | None:
        return db.scalar(select(CallTimer).where(CallTimer.agent_id == agent_id))

    @staticmethod
    def take(db: Session, agent_id: str, started_at: datetime | None = None) -> dict | None:
        """Delete the agent's timer and return what it was, atomically.

        DELETE … RETURNING: of two stops at once exactly one gets the row (Postgres locks
        it; SQLite serialises writers), so one call is recorded, never two.
        `started_at` makes a button for an old timer unable to stop a newer one.
        """
        statement = delete(CallTimer).where(CallTimer.agent_id == agent_id)
        if started_at is not None:
            statement = statement.where(CallTimer.started_at == started_at)
        row = db.execute(
            statement.returning(
                CallTimer.id,
                CallTimer.agent_id,
                CallTimer.customer_id,
                CallTimer.caller,
                CallTimer.note,
                CallTimer.started_at,
                CallTimer.reminders_sent,
            )
        ).first()
        db.expire_all()
        return dict(row._mapping) if row is not None else None

    @staticmethod
    def due_reminders(db: Session, now: datetime, limit: int = 200) -> list[CallTimer]:
        """Timers whose reminder is due, through the next_reminder_at index."""
        query = (
            select(CallTimer)
            .where(CallTimer.next_reminder_at <= now)
            .order_by(CallTimer.next_reminder_at, CallTimer.id)
            .limit(limit)
        )
        return list(db.scalars(locked(db, query, skip_locked=True)))

    @staticmethod
    def snooze(
        db: Session, agent_id: str, started_at: datetime, until: datetime
    ) -> CallTimer | None:
        db.execute(
            update(CallTimer)
            .where(CallTimer.agent_id == agent_id, CallTimer.started_at == started_at)
            .values(next_reminder_at=until)
        )
        return CallTimers.for_agent(db, agent_id)


class PhoneCalls(Repository[PhoneCall]):
    model = PhoneCall

    @staticmethod
    def in_range(
        db: Session,
        customer_id: int,
        start: datetime,
        end: datetime,
        *,
        caller: str | None = None,
        covered: bool | None = None,
        billed_as: str | None = None,
    ) -> list[PhoneCall]:
        query = select(PhoneCall).where(
            PhoneCall.customer_id == customer_id,
            PhoneCall.started_at >= start,
            PhoneCall.started_at < end,
            _live(),
        )
        if caller is not None:
            query = query.where(PhoneCall.caller == caller)
        if covered is not None:
            query = query.where(PhoneCall.covered.is_(covered))
        if billed_as is not None:
            query = query.where(PhoneCall.billed_as == billed_as)
        return list(db.scalars(query.order_by(PhoneCall.started_at, PhoneCall.id)))

    @staticmethod
    def covered_seconds(
        db: Session, customer_id: int, start: datetime, end: datetime, caller: str | None = None
    ) -> int:
        """Seconds of fair-use call time: covered calls not billed as training."""
        query = select(func.coalesce(func.sum(PhoneCall.seconds), 0)).where(
            PhoneCall.customer_id == customer_id,
            PhoneCall.started_at >= start,
            PhoneCall.started_at < end,
            PhoneCall.covered.is_(True),
            PhoneCall.billed_as.is_distinct_from(BILLED_AS_TRAINING),
            _live(),
        )
        if caller is not None:
            query = query.where(PhoneCall.caller == caller)
        return int(db.scalar(query))

    @staticmethod
    def covered_seconds_of(
        db: Session, customer_id: int, start: datetime, end: datetime, caller: str
    ) -> tuple[int, int]:
        """`covered_seconds` for `caller` and for the whole account, in one statement."""
        seconds = PhoneCall.seconds
        query = select(
            func.coalesce(func.sum(case((PhoneCall.caller == caller, seconds), else_=0)), 0),
            func.coalesce(func.sum(seconds), 0),
        ).where(
            PhoneCall.customer_id == customer_id,
            PhoneCall.started_at >= start,
            PhoneCall.started_at < end,
            PhoneCall.covered.is_(True),
            PhoneCall.billed_as.is_distinct_from(BILLED_AS_TRAINING),
            _live(),
        )
        row = db.execute(query).one()
        return int(row[0]), int(row[1])

    @staticmethod
    def by_agent(db: Session, agent_id: str, start: datetime, end: datetime) -> list[PhoneCall]:
        return list(
            db.scalars(
                select(PhoneCall)
                .where(
                    PhoneCall.agent_id == agent_id,
                    PhoneCall.started_at >= start,
                    PhoneCall.started_at < end,
                    _live(),
                )
                .order_by(PhoneCall.started_at, PhoneCall.id)
            )
        )

    @staticmethod
    def find_locked(db: Session, call_id: int) -> PhoneCall | None:
        """A call by id, its row locked on Postgres until the correction commits."""
        return db.scalar(locked(db, select(PhoneCall).where(PhoneCall.id == call_id)))

    @staticmethod
    def last_live_for_agent(db: Session, agent_id: str) -> PhoneCall | None:
        """The call the agent recorded last and has not undone."""
        return db.scalar(
            select(PhoneCall)
            .where(PhoneCall.agent_id == agent_id, _live())
            .order_by(PhoneCall.created_at.desc(), PhoneCall.id.desc())
            .limit(1)
        )

    @staticmethod
    def recent_for_agent(db: Session, agent_id: str, since: datetime) -> list[PhoneCall]:
        """The agent's live calls recorded at or after `since`, newest first."""
        return list(
            db.scalars(
                select(PhoneCall)
                .where(PhoneCall.agent_id == agent_id, PhoneCall.created_at >= since, _live())
                .order_by(PhoneCall.created_at.desc(), PhoneCall.id.desc())
            )
        )
