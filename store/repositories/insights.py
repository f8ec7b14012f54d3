"""What the forecasts' sweep rules need to skip work (issue 13): a cheap revision of the data
they read, and a mark per rule of the revision it last ran at (rows of `sla_policy_marks`,
keyed by the rule's name), so an idle sweep costs a handful of indexed reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import (
    AuditEntry,
    Booking,
    Customer,
    HourBlock,
    PhoneCall,
    Ticket,
    TicketEventRecord,
)
from store.models.sla import SlaPolicyMark
from store.models.time_entries import LedgerChange
from store.repositories.core import insert_if_absent, locked


def data_revision(db: Session) -> str:
    """The newest row of everything a forecast reads: logged time (its change log), blocks,
    bookings and their cancellations, tickets and their events, and the audit log (block
    voids and adjustments, booking corrections). Any write to these moves it."""
    row = db.execute(
        select(
            select(func.max(LedgerChange.id)).scalar_subquery(),
            select(func.max(HourBlock.id)).scalar_subquery(),
            select(func.max(Booking.id)).scalar_subquery(),
            select(func.max(Booking.cancelled_at)).scalar_subquery(),
            select(func.max(Ticket.id)).scalar_subquery(),
            select(func.max(TicketEventRecord.id)).scalar_subquery(),
            select(func.max(AuditEntry.id)).scalar_subquery(),
        )
    ).one()
    return "|".join("" if value is None else str(value) for value in row)


class RuleMarks:
    @staticmethod
    def changed(db: Session, rule: str, fingerprint: str, now: datetime) -> bool:
        """Record `fingerprint` for `rule`; True if it differs from the one recorded before.
        The row is locked (Postgres), so of two clocks one runs the rule and the other,
        once it commits, finds nothing new."""
        query = select(SlaPolicyMark).where(SlaPolicyMark.key == rule)
        mark = db.scalar(locked(db, query))
        if mark is not None and mark.fingerprint == fingerprint:
            return False
        if mark is None:
            row = {"key": rule, "fingerprint": fingerprint, "updated_at": now}
            if not insert_if_absent(db, SlaPolicyMark, row, ["key"]):
                return RuleMarks.changed(db, rule, fingerprint, now)
        else:
            mark.fingerprint, mark.updated_at = fingerprint, now
            db.flush()
        return True


def customers_with_tickets(db: Session, start: datetime, end: datetime) -> list[int]:
    """Ids of customers with a ticket opened in [start, end): one probe of the
    (customer_id, opened_at) index per customer, in one statement."""
    opened = (
        select(Ticket.id)
        .where(Ticket.customer_id == Customer.id, Ticket.opened_at >= start, Ticket.opened_at < end)
        .exists()
    )
    return list(db.scalars(select(Customer.id).where(opened).order_by(Customer.id)))


def tickets_opened(db: Session, customer_id: int, start: datetime, end: datetime) -> int:
    """How many tickets the customer opened in [start, end), counted in the index."""
    query = (
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.opened_at >= start, Ticket.opened_at < end)
    )
    return int(db.scalar(query) or 0)


def tickets_opened_for(
    db: Session, customer_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, int]:
    """`tickets_opened` for a sweep's batch of customers, in one statement."""
    found = dict.fromkeys(customer_ids, 0)
    if found:
        query = (
            select(Ticket.customer_id, func.count())
            .where(Ticket.customer_id.in_(found), Ticket.opened_at >= start, Ticket.opened_at < end)
            .group_by(Ticket.customer_id)
        )
        for customer_id, count in db.execute(query):
            found[customer_id] = int(count)
    return found


def customers_with_calls(db: Session, start: datetime, end: datetime) -> list[int]:
    """Ids of customers with a phone call started in [start, end), as above."""
    called = (
        select(PhoneCall.id)
        .where(
            PhoneCall.customer_id == Customer.id,
            PhoneCall.started_at >= start,
            PhoneCall.started_at < end,
        )
        .exists()
    )
    return list(db.scalars(select(Customer.id).where(called).order_by(Customer.id)))
