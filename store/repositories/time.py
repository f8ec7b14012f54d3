"""Queries and inserts for logged time, and the hour-block reads the billing sweeps need.

Add and flush; never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from store.models import HourBlock, LedgerChange, TimeEntry
from store.repositories.core import Repository, locked

ONE_ON_ONE = "one_on_one"


def _live() -> ColumnElement[bool]:
    return TimeEntry.undone_at.is_(None)


class TimeEntries(Repository[TimeEntry]):
    model = TimeEntry

    @staticmethod
    def billable_days(
        db: Session, customer_id: int, since: date | None = None
    ) -> list[tuple[date, int]]:
        """(work_date, logged minutes) of live 1-on-1 work per day, oldest first; from `since`
        on when given (the customer-day index answers it without reading older days)."""
        query = select(TimeEntry.work_date, func.sum(TimeEntry.minutes)).where(
            TimeEntry.customer_id == customer_id, TimeEntry.kind == ONE_ON_ONE, _live()
        )
        if since is not None:
            query = query.where(TimeEntry.work_date >= since)
        rows = db.execute(query.group_by(TimeEntry.work_date).order_by(TimeEntry.work_date))
        return [(work_date, int(total)) for work_date, total in rows]

    @staticmethod
    def billable_days_for(
        db: Session, customer_ids: Collection[int], since: date | None = None
    ) -> dict[int, list[tuple[date, int]]]:
        """`billable_days` for a sweep's batch of customers, in one round trip."""
        found: dict[int, list[tuple[date, int]]] = {customer_id: [] for customer_id in customer_ids}
        if not found:
            return found
        query = select(TimeEntry.customer_id, TimeEntry.work_date, func.sum(TimeEntry.minutes))
        query = query.where(TimeEntry.customer_id.in_(found), TimeEntry.kind == ONE_ON_ONE, _live())
        if since is not None:
            query = query.where(TimeEntry.work_date >= since)
        grouped = query.group_by(TimeEntry.customer_id, TimeEntry.work_date)
        rows = db.execute(grouped.order_by(TimeEntry.customer_id, TimeEntry.work_date))
        for customer_id, work_date, total in rows:
            found[customer_id].append((work_date, int(total)))
        return found

    @staticmethod
    def first_billable_day(db: Session, customer_id: int) -> date | None:
        """The earliest day with live 1-on-1 work (what `billable_days` would list first)."""
        return db.scalar(
            select(func.min(TimeEntry.work_date)).where(
                TimeEntry.customer_id == customer_id,
                TimeEntry.kind == ONE_ON_ONE,
                TimeEntry.minutes > 0,
                _live(),
            )
        )

    @staticmethod
    def for_customer_between(
        db: Session, customer_id: int, first: date, last: date
    ) -> list[TimeEntry]:
        """Live entries with first <= work_date <= last, in the order they were recorded."""
        return list(
            db.scalars(
                select(TimeEntry)
                .where(
                    TimeEntry.customer_id == customer_id,
                    TimeEntry.work_date >= first,
                    TimeEntry.work_date <= last,
                    _live(),
                )
                .order_by(TimeEntry.work_date, TimeEntry.created_at, TimeEntry.id)
            )
        )

    @staticmethod
    def billable_minutes_between(
        db: Session, customer_id: int, first: date, last: date
    ) -> list[tuple[date, int]]:
        """(work_date, minutes) of each live 1-on-1 entry with first <= work_date <= last, in
        the order `for_customer_between` gives: two columns, not entries, since a day's
        receipt on every `/log` reads all of that day's entries (issue 11, the ack profile:
        building them as ORM objects was a third of `/log`'s time on a busy day)."""
        rows = db.execute(
            select(TimeEntry.work_date, TimeEntry.minutes)
            .where(
                TimeEntry.customer_id == customer_id,
                TimeEntry.work_date >= first,
                TimeEntry.work_date <= last,
                TimeEntry.kind == ONE_ON_ONE,
                _live(),
            )
            .order_by(TimeEntry.work_date, TimeEntry.created_at, TimeEntry.id)
        )
        return [(work_date, int(minutes)) for work_date, minutes in rows]

    @staticmethod
    def agent_minutes_on(
        db: Session, agent_id: str, work_date: date, *, excluding: int | None = None
    ) -> int:
        """The live minutes one agent logged into one day (`excluding`: an entry's id not to
        count), summed by the database: the day cap's check on every /log, which loaded the
        day's entries as ORM objects (issue 11's profile: 3 ms a /log into a busy day)."""
        query = select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
            TimeEntry.agent_id == agent_id, TimeEntry.work_date == work_date, _live()
        )
        if excluding is not None:
            query = query.where(TimeEntry.id != excluding)
        return int(db.scalar(query) or 0)

    @staticmethod
    def for_agent_on(db: Session, agent_id: str, work_date: date) -> list[TimeEntry]:
        return list(
            db.scalars(
                select(TimeEntry)
                .where(TimeEntry.agent_id == agent_id, TimeEntry.work_date == work_date, _live())
                .order_by(TimeEntry.created_at, TimeEntry.id)
            )
        )

    @staticmethod
    def last_live_for_agent(db: Session, agent_id: str) -> TimeEntry | None:
        """The agent's most recently recorded live entry, locked for the undo on Postgres.

        SKIP LOCKED: two undos at once take back the last two entries, never the same one twice.
        """
        query = (
            select(TimeEntry)
            .where(TimeEntry.agent_id == agent_id, _live())
            .order_by(TimeEntry.created_at.desc(), TimeEntry.id.desc())
            .limit(1)
        )
        return db.scalar(locked(db, query, skip_locked=True))

    @staticmethod
    def find_locked(db: Session, entry_id: int) -> TimeEntry | None:
        """An entry by id, its row locked on Postgres until the correction commits."""
        return db.scalar(locked(db, select(TimeEntry).where(TimeEntry.id == entry_id)))

    @staticmethod
    def recent_for_agent(db: Session, agent_id: str, since: datetime) -> list[TimeEntry]:
        """The agent's live entries recorded at or after `since`, newest first."""
        return list(
            db.scalars(
                select(TimeEntry)
                .where(TimeEntry.agent_id == agent_id, TimeEntry.created_at >= since, _live())
                .order_by(TimeEntry.created_at.desc(), TimeEntry.id.desc())
            )
        )

    @staticmethod
    def count(db: Session) -> int:
        return db.scalar(select(func.count()).select_from(TimeEntry)) or 0


class BlockExpiries:
    @staticmethod
    def unrecorded_expired_query(today: date, limit: int) -> Select[tuple[HourBlock]]:
        """Blocks expired by `today` whose forfeiture is not yet recorded (through
        ix_hour_blocks_expiry_unrecorded)."""
        return (
            select(HourBlock)
            .where(
                HourBlock.expired_recorded_at.is_(None),
                HourBlock.expires <= today,
                HourBlock.voided_at.is_(None),
            )
            .order_by(HourBlock.expires, HourBlock.id)
            .limit(limit)
        )

    @staticmethod
    def unrecorded_expired(db: Session, today: date, limit: int) -> list[HourBlock]:
        """On Postgres the rows are locked with SKIP LOCKED, so two clocks never record the
        same expiry."""
        query = BlockExpiries.unrecorded_expired_query(today, limit)
        return list(db.scalars(locked(db, query, skip_locked=True)))

    @staticmethod
    def record(db: Session, block: HourBlock, forfeited_minutes: int, now: datetime) -> None:
        block.forfeited_minutes = forfeited_minutes
        block.expired_recorded_at = now
        db.flush()

    @staticmethod
    def record_all(db: Session, forfeits: Sequence[tuple[HourBlock, int]], now: datetime) -> None:
        """`record` for a sweep's batch, in one flush (one executemany UPDATE)."""
        for block, forfeited_minutes in forfeits:
            block.forfeited_minutes = forfeited_minutes
            block.expired_recorded_at = now
        db.flush()


class LedgerChanges:
    """The flush hook's record of changes to logged time (store.models.time_entries)."""

    @staticmethod
    def after(
        db: Session, customer_id: int, revision: int, own: Collection[int] = ()
    ) -> tuple[int, date | None]:
        """(newest revision, earliest work date touched) among the customer's changes newer
        than `revision`; (`revision`, None) when there are none. The newest leaves out the
        ids in `own` (this session's, not committed: a revision must never name them)."""
        newest_id = case((LedgerChange.id.in_(own), None), else_=LedgerChange.id) if own else None
        newest, earliest = db.execute(
            select(
                func.max(LedgerChange.id if newest_id is None else newest_id),
                func.min(LedgerChange.work_date),
            ).where(LedgerChange.customer_id == customer_id, LedgerChange.id > revision)
        ).one()
        return (revision if newest is None else int(newest)), earliest

    @staticmethod
    def after_for(
        db: Session, revisions: dict[int, int], own: Collection[int] = ()
    ) -> dict[int, tuple[int, date | None]]:
        """`after` for a sweep's batch of customers (customer id: its revision), in one round
        trip; the customers sharing a revision share one condition."""
        found: dict[int, tuple[int, date | None]] = {c: (r, None) for c, r in revisions.items()}
        if not found:
            return found
        by_revision: dict[int, list[int]] = {}
        for customer_id, revision in revisions.items():
            by_revision.setdefault(revision, []).append(customer_id)
        newest_id = case((LedgerChange.id.in_(own), None), else_=LedgerChange.id) if own else None
        query = (
            select(
                LedgerChange.customer_id,
                func.max(LedgerChange.id if newest_id is None else newest_id),
                func.min(LedgerChange.work_date),
            )
            .where(
                or_(
                    *(
                        and_(LedgerChange.customer_id.in_(ids), LedgerChange.id > revision)
                        for revision, ids in by_revision.items()
                    )
                )
            )
            .group_by(LedgerChange.customer_id)
        )
        for customer_id, newest, earliest in db.execute(query):
            revision = revisions[customer_id]
            found[customer_id] = (revision if newest is None else int(newest)), earliest
        return found
