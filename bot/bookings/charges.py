"""What a booking bills (seeds 000 and 001): its status, the cancellation notice rule, the
late-cancellation and no-show charges, extra engineers, and training.

* A booking not cancelled is `held` once its end has passed, and bills its scheduled length
  per engineer billed: minutes x (1 + extras) (seed 001).
* Cancelled `cancellation.free_notice` (24 h) or more before the start: free. Later: the
  `cancellation.late_charge` (30 m). After the start, a no-show: `cancellation.no_show_charge`.
* Moved (`bot.bookings.moves`) with less than the free notice before the start it is moved
  from: the same late charge, billed the day of the move (status `moved_late` on the
  statement); an undone move bills nothing.
* Held sessions and charges draw down the hour blocks (`session_charges`, the charge source
  `bot.features` registers with the ledger); training is billed at `provider.training_rate`
  instead (`training_days`, priced by the statement), never from the blocks (seed 000).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot.billing.blocks import Charge
from bot.billing.drawdown import after_drawdown
from bot.parsing import month_bounds
from bot.policy.model import Policy
from store.models import Booking, BookingMove, Customer
from store.repositories.bookings import BookingMoves, Bookings

# The statement's status for a late move's charge (a row of its own beside the booking's).
MOVED_LATE = "moved_late"


class BookingStatus(StrEnum):
    """A booking's status. What a person decides is stored (booked, cancelled,
    late_cancelled, no_show); `held` is derived: a booked session whose end has passed."""

    BOOKED = "booked"
    HELD = "held"
    CANCELLED = "cancelled"
    LATE_CANCELLED = "late_cancelled"
    NO_SHOW = "no_show"


# The statuses whose charge a manager may waive (`bot.bookings.corrections`).
WAIVABLE = (BookingStatus.LATE_CANCELLED, BookingStatus.NO_SHOW)


# A session's status as people read it; JSON and CSV keep the codes (SPEC §6).
_STATUS_WORDS = {
    BookingStatus.LATE_CANCELLED: "cancelled late",
    BookingStatus.NO_SHOW: "no-show",
    MOVED_LATE: "moved late",
}


def status_words(status: str) -> str:
    """`late_cancelled` -> `cancelled late`, `no_show` -> `no-show`, `moved_late` -> `moved
    late`; `booked`, `held` and `cancelled` read as they are."""
    return _STATUS_WORDS.get(status, status.replace("_", " "))


def status_of(booking: Booking, now: datetime) -> BookingStatus:
    status = BookingStatus(booking.status)
    if status is BookingStatus.BOOKED and booking.end_at <= now:
        return BookingStatus.HELD
    return status


def kind_of(booking: Booking) -> str:
    return "training" if booking.training else "session"


def whole_minutes(value: timedelta) -> int:
    return int(value.total_seconds()) // 60


# --- the notice rule and the charges ----------------------------------------------------------


def free_notice(policy: Policy, now: datetime) -> timedelta:
    """The notice that makes cancelling or moving at `now` free: the version in force when
    it is cancelled or moved (issue 16), as are the charges below."""
    return policy.at(now).cancellation.free_notice


def is_late(policy: Policy, start: datetime, now: datetime) -> bool:
    """Cancelling at `now` is late when less than the free notice is left before `start`."""
    return start - now < free_notice(policy, now)


def late_charge(policy: Policy, now: datetime) -> int:
    """The minutes a late cancellation (or move) at `now` bills."""
    return whole_minutes(policy.at(now).cancellation.late_charge)


def no_show_charge(policy: Policy, now: datetime) -> int:
    """The minutes a no-show recorded at `now` bills."""
    return whole_minutes(policy.at(now).cancellation.no_show_charge)


def extras(booking: Booking) -> int:
    return sum(1 for engineer in booking.engineers if engineer.extra)


def held_minutes(booking: Booking) -> int:
    """A held session's billed minutes: its length for the lead engineer and each extra."""
    return booking.minutes * (1 + extras(booking))


def billed_minutes(booking: Booking, now: datetime) -> int:
    status = status_of(booking, now)
    if status is BookingStatus.HELD:
        return held_minutes(booking)
    if status in (BookingStatus.LATE_CANCELLED, BookingStatus.NO_SHOW):
        return 0 if booking.waived_at is not None else booking.charge_minutes or 0
    return 0


def work_date(policy: Policy, booking: Booking) -> date:
    """The day a booking's billing falls on, in the provider's timezone.

    A late cancellation is billed the day it is made (so it shows at once, and the hour
    block valid then pays for it); everything else on the day the session was to start.
    """
    if booking.status == BookingStatus.LATE_CANCELLED and booking.cancelled_at is not None:
        return booking.cancelled_at.astimezone(policy.timezone).date()
    return booking.start_at.astimezone(policy.timezone).date()


def move_work_date(policy: Policy, move: BookingMove) -> date:
    """A late move is billed the day it is made, like a late cancellation."""
    return move.moved_at.astimezone(policy.timezone).date()


def check_balance(db: Session, policy: Policy, booking: Booking, now: datetime) -> int:
    """A charge from the blocks may take the balance to the block_low threshold. Training
    is billed at the training rate, not from the blocks, so it cannot."""
    if booking.training:
        return 0
    return after_drawdown(db, policy, booking.customer, now)


# --- billing ----------------------------------------------------------------------------------


def session_charges(
    db: Session, policy: Policy, customer: Customer, now: datetime, since: date | None = None
) -> list[Charge]:
    """Held sessions and cancellation charges, drawn from the hour blocks (not training).
    All of them, whatever `since`: few, and billed by `now`, so the ledger compares them."""
    bookings = Bookings.for_customer(db, customer.id)
    return _session_charges(policy, now, bookings, BookingMoves.charged(db, customer.id))


def session_charges_for(
    db: Session, policy: Policy, customers: list[Customer], now: datetime, since: date | None
) -> dict[int, list[Charge]]:
    """`session_charges` for a sweep's batch of customers: two reads, not two a customer."""
    ids = [customer.id for customer in customers]
    bookings, moves = Bookings.for_customers(db, ids), BookingMoves.charged_for(db, ids)
    return {i: _session_charges(policy, now, bookings[i], moves[i]) for i in ids}


def _session_charges(
    policy: Policy, now: datetime, bookings: list[Booking], moves: list[BookingMove]
) -> list[Charge]:
    charges = []
    for booking in bookings:
        if booking.training:
            continue
        minutes = billed_minutes(booking, now)
        if not minutes:
            continue
        held = status_of(booking, now) is BookingStatus.HELD
        source = f"session:{booking.id}" if held else f"cancellation:{booking.id}"
        charges.append(Charge(work_date=work_date(policy, booking), minutes=minutes, source=source))
    for move in moves:
        if not move.booking.training:
            charges.append(
                Charge(
                    work_date=move_work_date(policy, move),
                    minutes=move.charge_minutes,
                    source=f"late_move:{move.id}",
                )
            )
    return charges


def _month(db: Session, policy: Policy, customer: Customer, first: date) -> list[Booking]:
    """Bookings billed in the month: starting in it, or cancelled late in it."""
    return _months(db, policy, customer, first, first).get(first.replace(day=1), [])


def _months(
    db: Session, policy: Policy, customer: Customer, first: date, last: date
) -> dict[date, list[Booking]]:
    """`_month` for each month from `first`'s to `last`'s, by the month's first day, in one
    read (issue 11: a month at a time made the adjustments cost a query per issued month)."""
    start, _ = month_bounds(first.year, first.month, policy.timezone)
    _, end = month_bounds(last.year, last.month, policy.timezone)
    # A late cancellation in the month may be of a session starting early next month.
    history = policy.history.versions if policy.history is not None else (policy,)
    reach = max(v.cancellation.free_notice for v in history) + timedelta(days=1)
    found: dict[date, list[Booking]] = {}
    for booking in Bookings.starting_between(db, start, end + reach, customer_id=customer.id):
        month = work_date(policy, booking).replace(day=1)
        month_start, month_end = month_bounds(month.year, month.month, policy.timezone)
        if month_start <= booking.start_at < month_end + reach:  # as that month's own read
            found.setdefault(month, []).append(booking)
    return found


def _month_moves(db: Session, policy: Policy, customer: Customer, first: date) -> list[BookingMove]:
    """Late moves still billing, made in the month."""
    return _moves_by_month(db, policy, customer).get(first.replace(day=1), [])


def _moves_by_month(
    db: Session, policy: Policy, customer: Customer
) -> dict[date, list[BookingMove]]:
    """Late moves still billing, by the first day of the month they were made in."""
    found: dict[date, list[BookingMove]] = {}
    for move in BookingMoves.charged(db, customer.id):
        found.setdefault(move_work_date(policy, move).replace(day=1), []).append(move)
    return found


def sessions_rows(
    db: Session, policy: Policy, customer: Customer, first: date, now: datetime
) -> list[dict[str, Any]]:
    """The statement's `sessions` section (SPEC §6): sessions starting in the month, then
    each late move made in it (the time moved from, `moved_late`, the charge)."""
    return _booking_rows(db, policy, customer, first, now) + [
        {
            "id": str(m.booking.id),
            "start": m.from_start.astimezone(UTC).isoformat(),
            "minutes": whole_minutes(m.from_end - m.from_start),
            "engineers": len(m.booking.engineers),
            "kind": kind_of(m.booking),
            "status": MOVED_LATE,
            "billed_minutes": m.charge_minutes,
        }
        for m in _month_moves(db, policy, customer, first)
    ]


def _booking_rows(
    db: Session, policy: Policy, customer: Customer, first: date, now: datetime
) -> list[dict[str, Any]]:
    return [_booking_row(b, now) for b in _month(db, policy, customer, first)]


def _booking_row(booking: Booking, now: datetime) -> dict[str, Any]:
    """A booking's statement row; a waived charge also says who waived it and why."""
    row: dict[str, Any] = {
        "id": str(booking.id),
        "start": booking.start_at.astimezone(UTC).isoformat(),
        "minutes": booking.minutes,
        "engineers": len(booking.engineers),
        "kind": kind_of(booking),
        "status": status_of(booking, now),
        "billed_minutes": billed_minutes(booking, now),
    }
    if booking.waived_at is not None and status_of(booking, now) in WAIVABLE:
        row["waived"] = {
            "by": booking.waived_by,
            "on": booking.waived_at.astimezone(UTC).isoformat(),
            "reason": booking.waive_reason,
            "minutes": booking.charge_minutes or 0,
        }
    return row


def training_days(
    db: Session, policy: Policy, customer: Customer, first: date, now: datetime
) -> list[tuple[date, int]]:
    """Training in the month, held or charged for cancelling, as (work date, minutes): billed
    at the training rate of the version in force that day, never drawn from the blocks."""
    return training_days_by_month(db, policy, customer, first, first, now).get(
        first.replace(day=1), []
    )


def training_days_by_month(
    db: Session, policy: Policy, customer: Customer, first: date, last: date, now: datetime
) -> dict[date, list[tuple[date, int]]]:
    """`training_days` of each month from `first`'s to `last`'s, by the month's first day
    (months without training left out), from one read of bookings and one of moves."""
    found: dict[date, list[tuple[date, int]]] = {}
    for month, bookings in _months(db, policy, customer, first, last).items():
        for booking in bookings:
            if booking.training:
                found.setdefault(month, []).append(
                    (work_date(policy, booking), billed_minutes(booking, now))
                )
    lo, hi = first.replace(day=1), last.replace(day=1)
    for month, moves in _moves_by_month(db, policy, customer).items():
        for move in moves:
            if lo <= month <= hi and move.booking.training:
                found.setdefault(month, []).append(
                    (move_work_date(policy, move), move.charge_minutes)
                )
    return found
