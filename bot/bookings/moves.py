"""Moving a booked session to another time, and undoing a move (seed 001).

Seed 001: *"If cancellation is not received at least 24 hours in advance of the start time
of your appointment, Customer will be billed for 30 minutes. Please contact 1-on-1 Tech
Support via Support Ticket to reschedule as soon as you know you cannot make your
appointment."* A move gives up the appointment's time like a cancellation, so it is judged
by the same notice rule (`charges.is_late`, measured from now to the start it is moved
FROM):

* `cancellation.free_notice` (24 h) or more: the move is free.
* Less: the `cancellation.late_charge` (30 m), exactly as a late cancellation: billed the
  day of the move from the hour blocks (training: at the training rate), a
  `late_cancellation` alert "Moved late" in the customer's channel, and the block_low check.
  A late move is never made blind: `move` first returns a `MoveQuote` (nothing changed) and
  only `confirm_move` (the *Move anyway* button) makes it.

The new time is checked as `/book` checks one: read in the agent's timezone, in the future,
within `bookings.max_ahead_days`, and no engineer on the booking booked elsewhere then.
Every move is a `BookingMove` row (from, to, who, when, charge). `undo_move` takes back the
latest one: the booking returns to its earlier time and that move's charge is withdrawn
(a correction, not the customer's new request; a real move back is a new, ruled move).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.bookings.charges import check_balance, free_notice, is_late, kind_of, late_charge
from bot.bookings.listing import format_span, slack_time
from bot.bookings.reminders import next_check
from bot.bookings.sessions import (
    check_window,
    parse_start,
    post_alert,
    refuse_clashes,
    unsettled,
)
from bot.parsing import InputError, format_duration
from bot.policy.model import Policy
from bot.text import parse_whole
from bot.units import format_minutes
from store.models import Booking, BookingMove
from store.repositories.bookings import BookingMoves, Bookings

ACTION_MOVE_ANYWAY = "book_move_anyway"
MAX_SECONDS = 10**11  # a booking id or epoch second in a button: below the year 5000


@dataclass(frozen=True)
class MoveQuote:
    """A late move asked for but not made: what it would bill. Nothing has changed."""

    booking: Booking
    to_start: datetime
    notice: timedelta  # from now to the start it would be moved from
    charge_minutes: int

    def token(self) -> str:
        """What the *Move anyway* button carries: the booking, the new start, and the start
        the quote was made against (so a booking changed since is not moved blind)."""
        return (
            f"{self.booking.id}|{int(self.to_start.timestamp())}|"
            f"{int(self.booking.start_at.timestamp())}"
        )


@dataclass(frozen=True)
class Moved:
    booking: Booking
    move: BookingMove
    notice: timedelta


def move(
    db: Session,
    policy: Policy,
    booking_text: str,
    day: str,
    clock: str,
    *,
    actor: str,
    tz: ZoneInfo,
    now: datetime,
) -> Moved | MoveQuote:
    """`/book move <#id> <date> <time>`: a free move is made; a late one is only quoted."""
    booking = unsettled(db, booking_text)
    _refuse_started(booking, now)
    start = parse_start(day, clock, tz, now, policy)
    notice, charge = _check(db, policy, booking, start, tz, now)
    if charge:
        return MoveQuote(booking, start, notice, charge)
    return _make(db, policy, booking, start, 0, actor=actor, now=now)


def confirm_move(
    db: Session, policy: Policy, token: str, *, actor: str, tz: ZoneInfo, now: datetime
) -> Moved:
    """*Move anyway*: make the quoted move, checked again now, charge and all."""
    booking_id, start, quoted_from = read_token(token)
    booking = unsettled(db, f"#{booking_id}")
    if booking.start_at != quoted_from:
        raise InputError(f"#{booking.id} was changed since; nothing changed, move it again")
    _refuse_started(booking, now)
    check_window(start, tz, now, policy)
    _, charge = _check(db, policy, booking, start, tz, now)
    return _make(db, policy, booking, start, charge, actor=actor, now=now)


def read_token(token: str) -> tuple[int, datetime, datetime]:
    """A *Move anyway* token: (booking id, new start, the start the quote was made against)."""
    try:
        booking_id, start, quoted = (
            parse_whole(part, "a button's part", high=MAX_SECONDS) for part in token.split("|")
        )
    except ValueError:
        raise InputError("that button no longer works; type the move again") from None
    return booking_id, _instant(start), _instant(quoted)


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _refuse_started(booking: Booking, now: datetime) -> None:
    if now >= booking.start_at:
        raise InputError(f"#{booking.id} has already started; it can no longer be moved")


def _check(
    db: Session, policy: Policy, booking: Booking, start: datetime, tz: ZoneInfo, now: datetime
) -> tuple[timedelta, int]:
    """Refuse a move onto an engineer's other booking; else the notice left before the
    start moved from, and what moving now bills (0 with enough notice)."""
    if start == booking.start_at:
        raise InputError(f"#{booking.id} already starts then; nothing changed")
    engineers = [e.user_id for e in booking.engineers]
    Bookings.lock_engineers(db, engineers)
    end = start + timedelta(minutes=booking.minutes)
    refuse_clashes(db, engineers, start, end, tz, exclude=booking.id)
    late = is_late(policy, booking.start_at, now)
    return booking.start_at - now, late_charge(policy, now) if late else 0


def _make(
    db: Session,
    policy: Policy,
    booking: Booking,
    start: datetime,
    charge: int,
    *,
    actor: str,
    now: datetime,
) -> Moved:
    notice = booking.start_at - now
    record = BookingMoves.add(
        db,
        BookingMove(
            booking_id=booking.id,
            from_start=booking.start_at,
            from_end=booking.end_at,
            to_start=start,
            to_end=start + timedelta(minutes=booking.minutes),
            moved_at=now,
            moved_by=actor,
            charge_minutes=charge,
        ),
    )
    _reschedule(policy, booking, record.to_start, record.to_end, now)
    _announce_move(db, policy, booking, record, notice, now)
    db.flush()
    return Moved(booking, record, notice)


def _reschedule(
    policy: Policy, booking: Booking, start: datetime, end: datetime, now: datetime
) -> None:
    """The booking at its new time, its reminders recomputed for the new start."""
    booking.start_at, booking.end_at = start, end
    booking.next_reminder_at = next_check(policy, start, end, now)


def _announce_move(
    db: Session,
    policy: Policy,
    booking: Booking,
    record: BookingMove,
    notice: timedelta,
    now: datetime,
) -> None:
    """The customer's channel is told; a late move as a late cancellation is."""
    customer = booking.customer
    was, new = slack_time(record.from_start, policy), slack_time(record.to_start, policy)
    if record.charge_minutes:
        text = (
            f":warning: Moved late: *{customer.name}* moved {kind_of(booking)} #{booking.id} "
            f"({was}) {format_duration(notice)} before the start, less than the "
            f"{format_duration(free_notice(policy, record.moved_at))} notice; "
            f"{format_minutes(record.charge_minutes)} billed. It is now {new}."
        )
        post_alert(
            db, policy, booking, "late_cancellation", now, text, key=f"late_move:{record.id}"
        )
        check_balance(db, policy, booking, now)
        return
    text = (
        f":calendar: {kind_of(booking).capitalize()} #{booking.id} for *{customer.name}* is "
        f"moved from {was} to {new}; nothing is billed."
    )
    post_alert(db, policy, booking, "booking_moved", now, text, key=f"booking_moved:{record.id}")


# --- undo -------------------------------------------------------------------------------------


def undo_move(
    db: Session, policy: Policy, booking_text: str, *, actor: str, tz: ZoneInfo, now: datetime
) -> BookingMove:
    """Take back the booking's latest move: back to its earlier time, that move's charge
    withdrawn, the undo recorded on the move (who, when)."""
    booking = unsettled(db, booking_text)
    record = BookingMoves.latest_standing(db, booking.id)
    if record is None:
        raise InputError(f"#{booking.id} has not been moved; nothing to undo")
    _refuse_started(booking, now)
    if record.from_start <= now:
        raise InputError(
            f"#{booking.id} was moved from "
            f"{format_span(record.from_start, booking.minutes, tz, now=now)}, "
            f"which has passed; nothing changed"
        )
    engineers = [e.user_id for e in booking.engineers]
    Bookings.lock_engineers(db, engineers)
    refuse_clashes(db, engineers, record.from_start, record.from_end, tz, exclude=booking.id)
    record.undone_at, record.undone_by = now, actor
    _reschedule(policy, booking, record.from_start, record.from_end, now)
    withdrawn = (
        f"; the {format_minutes(record.charge_minutes)} charge for moving it late is withdrawn"
        if record.charge_minutes
        else ""
    )
    post_alert(
        db,
        policy,
        booking,
        "booking_moved",
        now,
        f":calendar: {kind_of(booking).capitalize()} #{booking.id} for "
        f"*{booking.customer.name}* is back at {slack_time(record.from_start, policy)} "
        f"(the move to {slack_time(record.to_start, policy)} was undone){withdrawn}.",
        key=f"booking_moved:{record.id}:undone",
    )
    db.flush()
    return record


# --- replies ----------------------------------------------------------------------------------


def quote_text(policy: Policy, quote: MoveQuote, tz: ZoneInfo) -> str:
    """The answer to a late move, before anything changes."""
    booking = quote.booking
    now = booking.start_at - quote.notice
    return (
        f":warning: #{booking.id} for *{booking.customer.name}* starts "
        f"{format_span(booking.start_at, booking.minutes, tz, now=now)}, in "
        f"{format_duration(quote.notice)}: less than the "
        f"{format_duration(free_notice(policy, booking.start_at - quote.notice))} notice, so "
        f"moving it to "
        f"{format_span(quote.to_start, booking.minutes, tz, now=now)} bills "
        f"{format_minutes(quote.charge_minutes)}, as a late cancellation would. Nothing has "
        f"changed yet: press *Move anyway* to move it and bill "
        f"{format_minutes(quote.charge_minutes)}."
    )


def moved_text(policy: Policy, moved: Moved, tz: ZoneInfo) -> str:
    """The answer to a move made."""
    booking, record = moved.booking, moved.move
    span = format_span(record.to_start, booking.minutes, tz, now=record.moved_at)
    was = format_span(record.from_start, booking.minutes, tz, now=record.moved_at)
    if record.charge_minutes:
        billed = (
            f"moved late ({format_duration(moved.notice)} before the start, less than "
            f"{format_duration(free_notice(policy, record.moved_at))} notice): "
            f"{format_minutes(record.charge_minutes)} billed"
        )
        icon = ":warning:"
    else:
        billed = "nothing is billed"
        icon = ":white_check_mark:"
    return (
        f"{icon} Moved #{booking.id} for *{booking.customer.name}* from {was} to {span}; "
        f"{billed}. Undo with `/book move undo #{booking.id}`."
    )


def undone_text(record: BookingMove, tz: ZoneInfo) -> str:
    booking = record.booking
    withdrawn = (
        f"; the {format_minutes(record.charge_minutes)} late-move charge is withdrawn"
        if record.charge_minutes
        else ""
    )
    return (
        f":leftwards_arrow_with_hook: #{booking.id} for *{booking.customer.name}* is back at "
        f"{format_span(record.from_start, booking.minutes, tz, now=record.undone_at)}{withdrawn}."
    )
