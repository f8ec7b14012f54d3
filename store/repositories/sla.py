"""Queries and inserts for tickets and their event log. Add and flush; never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from store.models import SlaPolicyMark, Ticket, TicketEventRecord
from store.repositories.core import Repository, insert_if_absent, locked


class Tickets(Repository[Ticket]):
    """`lock=True` takes the row lock, so a sweep and a command never move one ticket at once."""

    model = Ticket

    @classmethod
    def find(cls, db: Session, ticket_id: int, *, lock: bool = False) -> Ticket | None:
        query = select(Ticket).where(Ticket.id == ticket_id)
        return db.scalar(locked(db, query) if lock else query)

    @staticmethod
    def by_thread(
        db: Session, channel_id: str, thread_ts: str, *, lock: bool = False
    ) -> Ticket | None:
        query = select(Ticket).where(Ticket.channel_id == channel_id, Ticket.thread_ts == thread_ts)
        return db.scalar(locked(db, query) if lock else query)

    @staticmethod
    def open_from_message(db: Session, values: dict) -> bool:
        """Insert a ticket for a Slack message unless one exists for (channel, ts)."""
        return insert_if_absent(db, Ticket, values, ["channel_id", "thread_ts"])

    @staticmethod
    def due(db: Session, now: datetime, limit: int) -> list[Ticket]:
        """Tickets whose alert state may have changed by `now`, through the next_check_at
        index. On Postgres, rows another sweep holds are skipped."""
        query = (
            select(Ticket)
            .where(Ticket.next_check_at.is_not(None), Ticket.next_check_at <= now)
            .order_by(Ticket.next_check_at, Ticket.id)
            .limit(limit)
        )
        return list(db.scalars(locked(db, query, skip_locked=True)))

    @staticmethod
    def recheck_unresolved(db: Session, now: datetime) -> int:
        """Make every unresolved ticket due now (after a policy change); one UPDATE."""
        result = db.execute(
            update(Ticket).where(Ticket.status != "resolved").values(next_check_at=now)
        )
        assert isinstance(result, CursorResult)  # an UPDATE's result counts its rows
        return result.rowcount or 0

    @staticmethod
    def for_customer(
        db: Session,
        customer_id: int | None,
        *,
        opened_from: datetime | None = None,
        opened_before: datetime | None = None,
        unresolved_only: bool = False,
        limit: int | None = None,
    ) -> list[Ticket]:
        query = select(Ticket)
        if customer_id is not None:
            query = query.where(Ticket.customer_id == customer_id)
        if opened_from is not None:
            query = query.where(Ticket.opened_at >= opened_from)
        if opened_before is not None:
            query = query.where(Ticket.opened_at < opened_before)
        if unresolved_only:
            query = query.where(Ticket.status != "resolved")
        query = query.order_by(Ticket.opened_at, Ticket.id)
        if limit is not None:
            query = query.limit(limit)
        return list(db.scalars(query))

    @staticmethod
    def opened_between(
        db: Session, customer_ids: Sequence[int], start: datetime, end: datetime
    ) -> dict[int, list[Ticket]]:
        """Each customer's tickets opened in [start, end), in `for_customer`'s order, in one
        round trip (a sweep's batch)."""
        found: dict[int, list[Ticket]] = {customer_id: [] for customer_id in customer_ids}
        if found:
            query = (
                select(Ticket)
                .where(
                    Ticket.customer_id.in_(found),
                    Ticket.opened_at >= start,
                    Ticket.opened_at < end,
                )
                .order_by(Ticket.opened_at, Ticket.id)
            )
            for ticket in db.scalars(query):
                found[ticket.customer_id].append(ticket)
        return found


class TicketEvents:
    @staticmethod
    def for_ticket(db: Session, ticket_id: int) -> list[TicketEventRecord]:
        return list(
            db.scalars(
                select(TicketEventRecord)
                .where(TicketEventRecord.ticket_id == ticket_id)
                .order_by(TicketEventRecord.at, TicketEventRecord.id)
            )
        )

    @staticmethod
    def for_tickets(db: Session, ticket_ids: Sequence[int]) -> dict[int, list[TicketEventRecord]]:
        """Each ticket's log, in the order `for_ticket` gives, in one round trip (a sweep's
        batch); a ticket with no events maps to an empty list."""
        logs: dict[int, list[TicketEventRecord]] = {ticket_id: [] for ticket_id in ticket_ids}
        if logs:
            query = (
                select(TicketEventRecord)
                .where(TicketEventRecord.ticket_id.in_(logs))
                .order_by(TicketEventRecord.at, TicketEventRecord.id)
            )
            for row in db.scalars(query):
                logs[row.ticket_id].append(row)
        return logs

    @staticmethod
    def add(
        db: Session,
        *,
        ticket_id: int,
        kind: str,
        at: datetime,
        actor: str,
        now: datetime,
        slack_event_id: str | None = None,
    ) -> bool:
        """Append an event; with a Slack event id, at most once per id (True if added)."""
        values = {
            "ticket_id": ticket_id,
            "kind": kind,
            "at": at,
            "actor": actor,
            "slack_event_id": slack_event_id,
            "created_at": now,
        }
        if slack_event_id is None:
            db.add(TicketEventRecord(**values))
            db.flush()
            return True
        return insert_if_absent(db, TicketEventRecord, values, ["slack_event_id"])


class SlaPolicyMarks:
    KEY = "policy"

    @staticmethod
    def changed(db: Session, fingerprint: str, now: datetime) -> bool:
        """Record `fingerprint`; True if it differs from the one recorded before."""
        mark = db.scalar(locked(db, select(SlaPolicyMark).where(SlaPolicyMark.key == "policy")))
        if mark is not None and mark.fingerprint == fingerprint:
            return False
        if mark is None:
            if not insert_if_absent(
                db,
                SlaPolicyMark,
                {"key": "policy", "fingerprint": fingerprint, "updated_at": now},
                ["key"],
            ):
                return SlaPolicyMarks.changed(db, fingerprint, now)
        else:
            mark.fingerprint, mark.updated_at = fingerprint, now
            db.flush()
        return True
