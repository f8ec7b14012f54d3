"""Slack's limits as rows (store/models/pacing.py), and the outbox queries that honour them.
Add and flush; never commit."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import Alert, SlackPacing
from store.repositories.core import insert_if_absent, is_postgres, locked

CHANNEL, METHOD, TOKEN = "channel", "method", "token"
POST = "chat.postMessage"
EDIT = "chat.update"
# What looking for an earlier post whose outcome is unknown may call.
READS = (
    "conversations.history",
    "conversations.replies",
    "conversations.open",
    "conversations.join",
)
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _held(kind: str, at: datetime, subject: Any) -> ColumnElement[bool]:
    """Some row of `kind` for `subject` (a name, a tuple of names, or a column of the alert)
    says: not before a time still to come at `at`."""
    if isinstance(subject, tuple):
        matches = SlackPacing.subject.in_(subject)
    else:
        matches = SlackPacing.subject == subject
    return exists().where(SlackPacing.kind == kind, matches, SlackPacing.not_before > at)


def open_alerts(at: datetime) -> list[ColumnElement[bool]]:
    """Conditions on `Alert` for one Slack lets through at `at`: a first post only if its
    channel's slot has come and chat.postMessage is not held; an edit only if chat.update is
    not held; a look for an unknown earlier post only if the reads it needs are not held."""
    first = Alert.ts.is_(None)
    return [
        or_(~first, and_(~_held(CHANNEL, at, Alert.channel), ~_held(METHOD, at, POST))),
        or_(first, ~_held(METHOD, at, EDIT)),
        or_(~first, Alert.post_started_at.is_(None), ~_held(METHOD, at, READS)),
    ]


class Pacing:
    @staticmethod
    def find(db: Session, kind: str, subject: str) -> SlackPacing | None:
        return db.get(SlackPacing, (kind, subject))

    @staticmethod
    def _locked(db: Session, kind: str, subject: str) -> SlackPacing:
        """The row, created if absent (ON CONFLICT DO NOTHING: two clocks at once make one)
        and locked until the transaction ends (Postgres; SQLite's BEGIN IMMEDIATE already
        serialises writers), read afresh: what another clock committed meanwhile is seen."""
        values = {"kind": kind, "subject": subject, "not_before": _LONG_AGO}
        insert_if_absent(db, SlackPacing, values, ["kind", "subject"])
        query = select(SlackPacing).where(SlackPacing.kind == kind, SlackPacing.subject == subject)
        row = db.scalar(locked(db, query).execution_options(populate_existing=True))
        assert row is not None  # just made sure of it
        return row

    @staticmethod
    def reserve_all(
        db: Session, kind: str, subjects: Iterable[str], at: datetime, until: datetime
    ) -> set[str]:
        """Take the slots of `subjects` at `at` (each free until `until`): one round trip to
        create the rows (ON CONFLICT DO NOTHING: two clocks at once make one) and one to lock
        them, read afresh, in one order so two clocks cannot deadlock. The subjects whose
        slot was taken; those another clock took first are left out, unchanged."""
        wanted = sorted(set(subjects))
        if not wanted:
            return set()
        insert = postgresql.insert if is_postgres(db) else sqlite.insert
        values = [{"kind": kind, "subject": s, "not_before": _LONG_AGO} for s in wanted]
        db.execute(insert(SlackPacing).values(values).on_conflict_do_nothing())
        query = (
            select(SlackPacing)
            .where(SlackPacing.kind == kind, SlackPacing.subject.in_(wanted))
            .order_by(SlackPacing.subject)
        )
        taken = set()
        for row in db.scalars(locked(db, query).execution_options(populate_existing=True)):
            if row.not_before <= at:
                row.not_before = until
                taken.add(row.subject)
        return taken

    @staticmethod
    def cut_all(db: Session, kind: str, until: datetime) -> None:
        """Every `kind` limit running past `until` ends then instead."""
        db.execute(
            update(SlackPacing)
            .where(SlackPacing.kind == kind, SlackPacing.not_before > until)
            .values(not_before=until)
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    def hold_all(
        db: Session,
        kind: str,
        subjects: Iterable[str],
        until: datetime,
        reserved: datetime | None = None,
    ) -> None:
        """Not before `until` for each of `subjects` whose row exists, in one statement: a
        later time already recorded stands, unless it is no later than `reserved` (the
        caller's own reservation, cut to `until`)."""
        wanted = sorted(set(subjects))
        if wanted:
            sooner = SlackPacing.not_before < until
            db.execute(
                update(SlackPacing)
                .where(
                    SlackPacing.kind == kind,
                    SlackPacing.subject.in_(wanted),
                    sooner if reserved is None else or_(sooner, SlackPacing.not_before <= reserved),
                )
                .values(not_before=until)
                .execution_options(synchronize_session=False)
            )

    @staticmethod
    def hold(db: Session, kind: str, subject: str, until: datetime, reason: str | None) -> None:
        """Not before `until` (a later time already recorded stands)."""
        row = Pacing._locked(db, kind, subject)
        if until > row.not_before:
            row.not_before, row.reason = until, reason
        elif reason is not None:
            row.reason = reason
        db.flush()

    @staticmethod
    def forget(db: Session, kind: str, subject: str) -> None:
        db.execute(
            delete(SlackPacing).where(SlackPacing.kind == kind, SlackPacing.subject == subject)
        )

    @staticmethod
    def earliest_after(db: Session, at: datetime) -> datetime | None:
        """When the first limit still in force at `at` ends (None if none is)."""
        return db.scalar(
            select(func.min(SlackPacing.not_before)).where(SlackPacing.not_before > at)
        )

    @staticmethod
    def due_unleased(
        db: Session, now: datetime, wall: datetime, skip: Collection[int] = ()
    ) -> bool:
        """Whether some alert is due (by the clock's `now`) that nobody holds a live lease on
        (other than those in `skip`)."""
        query = select(Alert.id).where(
            Alert.next_attempt_at.is_not(None),
            Alert.next_attempt_at <= now,
            or_(Alert.leased_until.is_(None), Alert.leased_until <= wall),
            *([Alert.id.not_in(skip)] if skip else []),
        )
        return db.scalar(query.limit(1)) is not None

    @staticmethod
    def next_after(
        db: Session, now: datetime, wall: datetime, skip: Collection[int] = ()
    ) -> datetime | None:
        """When the next alert nobody holds (other than those in `skip`) falls due after
        `now` (None if none waits)."""
        query = select(func.min(Alert.next_attempt_at)).where(
            Alert.next_attempt_at > now,
            or_(Alert.leased_until.is_(None), Alert.leased_until <= wall),
            *([Alert.id.not_in(skip)] if skip else []),
        )
        return db.scalar(query)

    @staticmethod
    def park_waiting(db: Session, reason: str, now: datetime, wall: datetime) -> int:
        """Park every alert waiting for delivery that nobody else is delivering now, with
        `reason`; those another clock holds are left to it (it meets the same refusal)."""
        waiting = select(Alert.id).where(
            Alert.next_attempt_at.is_not(None),
            or_(Alert.leased_until.is_(None), Alert.leased_until <= wall),
        )
        ids = list(db.scalars(locked(db, waiting, skip_locked=True)))
        if not ids:
            return 0
        db.execute(
            update(Alert)
            .where(Alert.id.in_(ids))
            .values(
                next_attempt_at=None,
                last_error=reason,
                failing_since=func.coalesce(Alert.failing_since, now),
                updated_at=now,
            )
        )
        return len(ids)

    @staticmethod
    def unpark(db: Session, reason: str, now: datetime) -> int:
        """Deliver again every alert parked with exactly `reason`; how many."""
        result = db.execute(
            update(Alert)
            .where(
                Alert.next_attempt_at.is_(None),
                Alert.last_error == reason,
                Alert.delivered_version < Alert.version,
            )
            .values(next_attempt_at=now, attempts=0, updated_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)
