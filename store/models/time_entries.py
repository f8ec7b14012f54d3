"""Logged support time: one row per `/log` entry; `/log undo` marks a row, never deletes it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from store.models.base import Base, UTCDateTime
from store.models.core import Customer, HourBlock


class TimeEntry(Base):
    """Minutes an agent worked for a customer on a calendar date.

    `kind` is `one_on_one` (billable) or `general` (never billed). `undone_at` is set by
    `/log undo`: the row stays for the record but no longer counts anywhere.
    """

    __tablename__ = "time_entries"
    __table_args__ = (
        # The ledger and the statement read one customer's days; undo/list read one agent's.
        Index("ix_time_entries_customer_day", "customer_id", "work_date"),
        Index("ix_time_entries_agent_created", "agent_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    # Many-to-one: read from the session's identity map when already loaded.
    customer: Mapped[Customer] = relationship(lazy="select")
    agent_id: Mapped[str] = mapped_column(String(32))
    work_date: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    activity: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# The block_expired sweep reads blocks whose expiry is not yet recorded and whose date has
# come; this index answers exactly that without scanning every block ever sold.
Index("ix_hour_blocks_expiry_unrecorded", HourBlock.expired_recorded_at, HourBlock.expires)


class LedgerChange(Base):
    """A flush that added, undid or edited a customer's logged time, and the earliest work
    date it touched (issue 11).

    The ledger keeps, per process, the state its allocation carries into a month (what each
    block has left); that state stays true until a change lands before the month. Readers
    look for such a change among the rows newer than the one they saw last (the id is the
    revision), so a back-dated entry, an undo or an edit on any replica reopens the month
    everywhere. Written by the flush hook below: every ORM write of a `TimeEntry` goes
    through it, so no command can forget it.
    """

    __tablename__ = "ledger_changes"
    __table_args__ = (Index("ix_ledger_changes_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer)
    work_date: Mapped[date] = mapped_column(Date)


# Session.info keys: the earliest work date this session's writes touched, per customer, and
# the `LedgerChange` rows it added (their ids, once flushed, are not committed yet).
LEDGER_CHANGED = "ledger_changed"
LEDGER_CHANGE_ROWS = "ledger_change_rows"
# Customers whose row this transaction already locked (store.repositories.core.lock_customer):
# the hook below need not lock them again (one statement fewer on every /log). Forgotten at
# commit and at any rollback (a savepoint's too: Postgres releases the locks taken after it).
LOCKED_CUSTOMERS = "locked_customers"
LOCKED_AND_READ = "locked_and_read_customers"  # read after their lock: current (lock_and_get)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_locks(session: Session, *_args: Any) -> None:
    session.info.pop(LOCKED_CUSTOMERS, None)
    session.info.pop(LOCKED_AND_READ, None)


def _touched(entry: TimeEntry) -> list[tuple[int, date]]:
    """(customer, work date) pairs an entry's pending change touches, before and after."""
    state = inspect(entry)
    pairs = [(entry.customer_id, entry.work_date)]
    customers = state.attrs.customer_id.history.deleted or [entry.customer_id]
    dates = state.attrs.work_date.history.deleted or [entry.work_date]
    pairs += [(c, d) for c in customers for d in dates if c is not None and d is not None]
    return pairs


@event.listens_for(Session, "before_flush")
def _record_ledger_changes(session: Session, _context: Any, _instances: Any) -> None:
    earliest: dict[int, date] = {}
    for entry in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(entry, TimeEntry):
            continue
        if entry in session.dirty and not session.is_modified(entry):
            continue
        for customer_id, work_date in _touched(entry):
            earliest[customer_id] = min(work_date, earliest.get(customer_id, work_date))
    if earliest:
        # Per customer, changes commit in the order of their ids (the customer's row lock is
        # held to commit; SQLite has one writer), so "newer than the id I saw" misses none.
        held = session.info.get(LOCKED_CUSTOMERS, set())
        ids = sorted(set(earliest) - held)
        if ids:
            locking = select(Customer.id).where(Customer.id.in_(ids)).order_by(Customer.id)
            session.connection().execute(locking.with_for_update())
    changed = session.info.setdefault(LEDGER_CHANGED, {})
    for customer_id, work_date in earliest.items():
        row = LedgerChange(customer_id=customer_id, work_date=work_date)
        session.add(row)
        session.info.setdefault(LEDGER_CHANGE_ROWS, []).append(row)
        changed[customer_id] = min(work_date, changed.get(customer_id, work_date))
