"""Booked 1-on-1 and training sessions (seeds 001 and 000): booking, cancelling and
marking a no-show, the service behind `/book` and its modal.

* A booking has a customer, a start, a length and one or more engineers. The booking agent
  is the engineer unless others are named; `extra` marks the named engineers as ones the
  customer asked for, billed in addition to the booking agent (seed 001).
* Cancelling late or not showing up bills a charge and raises a `late_cancellation` alert;
  what each bills is `bot.bookings.charges`, the reminders `bot.bookings.reminders`.

Slack-free: handlers parse what people type into a `BookingForm` (`bot.bookings.grammar`
for `/book <text>`) and render the results (`bot.bookings.listing`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot import customers as customer_service
from bot.alerts.follow import raise_or_revive
from bot.bookings.charges import (
    BookingStatus,
    check_balance,
    free_notice,
    held_minutes,
    is_late,
    kind_of,
    late_charge,
    no_show_charge,
    status_of,
)
from bot.bookings.listing import engineer_name, format_span, slack_time
from bot.bookings.reminders import next_check
from bot.parsing import (
    InputError,
    format_duration,
    local_to_utc,
    parse_clock_time,
    parse_day_words,
    parse_duration,
    parse_record_id,
)
from bot.policy.model import Policy
from bot.units import format_minutes
from store.models import Booking, Customer
from store.repositories.bookings import Bookings

# (Slack user ID, billed as an extra at the customer's request)
Engineers = list[tuple[str, bool]]


class BookingInputError(InputError):
    """Bad input for one field of the booking form (the modal shows it by that field)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class BookingForm:
    """What a person asked for, as typed or picked, before validation.

    Both the slash command and the modal fill one in, and `book` validates it, so the two
    can never disagree about what is allowed.
    """

    customer: str
    day: str  # YYYY-MM-DD, today or tomorrow (in the agent's timezone)
    clock: str  # HH:MM
    duration: str
    engineers: tuple[str, ...] = ()  # Slack user IDs named; empty: the booking agent
    extra: bool = False
    training: bool = False
    labels: dict[str, str] = field(default_factory=dict, compare=False)  # user ID -> name


# --- booking ----------------------------------------------------------------------------------


def book(
    db: Session,
    policy: Policy,
    form: BookingForm,
    *,
    agent: str,
    tz: ZoneInfo,
    now: datetime,
) -> Booking:
    """Validate the form and record the booking, or raise and record nothing.

    The overlap check and the insert happen under a per-engineer lock (Postgres advisory
    locks; SQLite serialises writers), so two bookings made at once cannot both take an
    engineer's slot.
    """
    customer = _customer(db, form)
    start = parse_start(form.day, form.clock, tz, now, policy)
    minutes = _minutes(form.duration, policy)
    end = start + timedelta(minutes=minutes)
    engineers = _engineers(form, agent)
    user_ids = [user for user, _ in engineers]
    Bookings.lock_engineers(db, user_ids)
    refuse_clashes(db, user_ids, start, end, tz, labels=form.labels)
    booking = Bookings.add(
        db,
        Booking(
            customer_id=customer.id,
            start_at=start,
            end_at=end,
            minutes=minutes,
            training=form.training,
            status=BookingStatus.BOOKED,
            created_at=now,
            created_by=agent,
            next_reminder_at=next_check(policy, start, end, now),
        ),
        engineers,
    )
    _announce(db, policy, booking, customer, engineers, now)
    return booking


def _customer(db: Session, form: BookingForm) -> Customer:
    try:
        return customer_service.customer_for_work(db, form.customer)
    except InputError as exc:
        raise BookingInputError("customer", str(exc)) from None


def parse_start(
    day_text: str, clock_text: str, tz: ZoneInfo, now: datetime, policy: Policy
) -> datetime:
    """A session's start typed or picked in `tz`: in the future, within max_ahead_days."""
    today = now.astimezone(tz).date()
    try:
        day = parse_day_words(day_text, today, order=policy.date_order, ahead=True)
    except InputError as exc:
        raise BookingInputError("date", str(exc)) from None
    try:
        clock: time = parse_clock_time(clock_text)
        start = local_to_utc(day, clock, tz)
    except InputError as exc:
        raise BookingInputError("time", str(exc)) from None
    check_window(start, tz, now, policy)
    return start


def check_window(start: datetime, tz: ZoneInfo, now: datetime, policy: Policy) -> None:
    """Refuse a start that has passed or is more than max_ahead_days ahead."""
    if start <= now:
        when = f"{start.astimezone(tz):%Y-%m-%d %H:%M} ({tz.key})"
        raise BookingInputError("date", f"{when} is in the past")
    if start - now > timedelta(days=policy.bookings.max_ahead_days):
        raise BookingInputError(
            "date",
            f"that is more than {policy.bookings.max_ahead_days} days ahead; book nearer the time",
        )


def _minutes(text: str, policy: Policy) -> int:
    """The session's length in whole minutes, within the longest bookable session."""
    try:
        length = parse_duration(text)
    except InputError as exc:
        raise BookingInputError("duration", str(exc)) from None
    if length <= timedelta(0):
        raise BookingInputError("duration", "a session must last longer than zero")
    if length % timedelta(minutes=1):
        raise BookingInputError("duration", "give the length in whole minutes")
    if length > policy.bookings.max_duration:
        raise BookingInputError(
            "duration",
            f"{format_duration(length)} is longer than the longest bookable session "
            f"({format_duration(policy.bookings.max_duration)})",
        )
    return int(length.total_seconds()) // 60


def _engineers(form: BookingForm, agent: str) -> Engineers:
    """Who the booking takes: the named engineers, else the booking agent; with `extra`,
    the booking agent leads and the named engineers come in addition, at the customer's ask."""
    if not form.extra:
        return [(user, False) for user in (form.engineers or (agent,))]
    if not form.engineers:
        raise BookingInputError(
            "engineers", "`extra` needs the engineer(s) the customer asked for (@mention them)"
        )
    named = [user for user in form.engineers if user != agent]
    if not named:
        raise BookingInputError("engineers", "name an extra engineer other than yourself")
    return [(agent, False)] + [(user, True) for user in named]


def refuse_clashes(
    db: Session,
    user_ids: list[str],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    *,
    labels: dict[str, str] | None = None,
    exclude: int | None = None,
) -> None:
    """Refuse a time that takes an engineer already booked then (`exclude`: a booking that
    does not count, the one being moved)."""
    clashes = Bookings.clashes(db, user_ids, start, end, exclude=exclude)
    if not clashes:
        return
    other, user_id = clashes[0]
    raise BookingInputError(
        "engineers",
        f"that clashes: {engineer_name(db, user_id, labels)} is already booked with "
        f"{other.customer.name} {format_span(other.start_at, other.minutes, tz, now=None, day=False)} "
        f"(#{other.id})",
    )


def _announce(
    db: Session,
    policy: Policy,
    booking: Booking,
    customer: Customer,
    engineers: Engineers,
    now: datetime,
) -> None:
    """Tell the customer's channel what was booked and what cancelling late would bill."""
    who = ", ".join(
        f"<@{user}>" + (" (extra, at your request)" if extra else "") for user, extra in engineers
    )
    post_alert(
        db,
        policy,
        booking,
        "booking_confirmed",
        now,
        f":calendar: {kind_of(booking).capitalize()} #{booking.id} booked for "
        f"*{customer.name}*: {slack_time(booking.start_at, policy)}, "
        f"{format_minutes(booking.minutes)} with {who}. Cancelling less than "
        f"{format_duration(free_notice(policy, now))} before the start bills "
        f"{format_minutes(late_charge(policy, now))}.",
    )


def confirmation(db: Session, policy: Policy, booking: Booking, tz: ZoneInfo) -> str:
    """The reply to whoever booked: the new `#id` and the time in their timezone."""
    people = ", ".join(
        engineer_name(db, e.user_id) + (" (extra, billed in addition)" if e.extra else "")
        for e in booking.engineers
    )
    rate = (
        f" at the training rate ({policy.training_rate} {policy.currency}/h)"
        if booking.training
        else " from the hour blocks"
    )
    return (
        f":calendar: Booked #{booking.id}: {kind_of(booking)} for *{booking.customer.name}* "
        f"{format_span(booking.start_at, booking.minutes, tz, now=booking.created_at)}, "
        f"{format_minutes(booking.minutes)} with {people}. Bills "
        f"{format_minutes(held_minutes(booking))} once held{rate}. "
        f"Cancel with `/book cancel #{booking.id}`, move with `/book move #{booking.id} "
        f"<date> <time>`."
    )


# --- cancellations and no-shows ---------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    booking: Booking
    customer: Customer
    status: BookingStatus
    charge_minutes: int


_SETTLED = {
    BookingStatus.CANCELLED: "was already cancelled",
    BookingStatus.LATE_CANCELLED: "was already cancelled late",
    BookingStatus.NO_SHOW: "is already marked as a no-show",
}


def parse_booking_id(text: str) -> int:
    return parse_record_id(text, "booking")


def unsettled(db: Session, text: str) -> Booking:
    """The booking `#id` names, locked, unless it was already cancelled or a no-show."""
    booking = Bookings.find(db, parse_booking_id(text), for_update=True)
    if booking is None:
        raise InputError(f"there is no booking #{parse_booking_id(text)}")
    settled = _SETTLED.get(BookingStatus(booking.status))
    if settled is not None:
        raise InputError(f"#{booking.id} {settled}; nothing changed")
    return booking


def _settle(
    booking: Booking, status: BookingStatus, charge: int | None, actor: str, now: datetime
) -> None:
    booking.status = status
    booking.cancelled_at, booking.cancelled_by = now, actor
    booking.charge_minutes = charge
    booking.next_reminder_at = None
    booking.waived_by = booking.waived_at = booking.waive_reason = None  # a new charge, if any


def cancel(db: Session, policy: Policy, text: str, *, actor: str, now: datetime) -> Outcome:
    """Cancel a booking: free with enough notice, else the late charge and an alert."""
    booking = unsettled(db, text)
    if status_of(booking, now) is BookingStatus.HELD:
        raise InputError(f"#{booking.id} has already been held; nothing changed")
    if now >= booking.start_at:
        raise InputError(
            f"#{booking.id} has already started; if the customer did not come, use "
            f"`/book noshow #{booking.id}`"
        )
    customer = booking.customer
    late = is_late(policy, booking.start_at, now)
    charge = late_charge(policy, now) if late else 0
    if late:
        _settle(booking, BookingStatus.LATE_CANCELLED, charge, actor, now)
        _charge(
            db,
            policy,
            booking,
            now,
            f":warning: Late cancellation: *{customer.name}* cancelled "
            f"{kind_of(booking)} #{booking.id} ({slack_time(booking.start_at, policy)}) "
            f"{format_duration(booking.start_at - now)} before the start, less than the "
            f"{format_duration(free_notice(policy, now))} notice; "
            f"{format_minutes(charge)} billed.",
        )
    else:
        _settle(booking, BookingStatus.CANCELLED, None, actor, now)
        post_alert(
            db,
            policy,
            booking,
            "booking_cancelled",
            now,
            f":calendar: {kind_of(booking).capitalize()} #{booking.id} for *{customer.name}* "
            f"({slack_time(booking.start_at, policy)}) is cancelled; nothing is billed.",
        )
    db.flush()
    return Outcome(booking, customer, BookingStatus(booking.status), charge)


def no_show(db: Session, policy: Policy, text: str, *, actor: str, now: datetime) -> Outcome:
    """The customer did not come: the no-show charge and an alert (only once started)."""
    booking = unsettled(db, text)
    if now < booking.start_at:
        raise InputError(
            f"#{booking.id} has not started yet; to call it off use `/book cancel #{booking.id}`"
        )
    customer = booking.customer
    charge = no_show_charge(policy, now)
    _settle(booking, BookingStatus.NO_SHOW, charge, actor, now)
    _charge(
        db,
        policy,
        booking,
        now,
        f":warning: No-show: *{customer.name}* did not attend {kind_of(booking)} "
        f"#{booking.id} ({slack_time(booking.start_at, policy)}); "
        f"{format_minutes(charge)} billed.",
    )
    return Outcome(booking, customer, BookingStatus.NO_SHOW, charge)


def _charge(db: Session, policy: Policy, booking: Booking, now: datetime, text: str) -> None:
    """A late cancellation or no-show: one `late_cancellation` alert per booking, and the
    charge may take the hour blocks to the block_low threshold."""
    post_alert(db, policy, booking, "late_cancellation", now, text)
    check_balance(db, policy, booking, now)


def post_alert(
    db: Session,
    policy: Policy,
    booking: Booking,
    kind: str,
    now: datetime,
    text: str,
    *,
    key: str | None = None,
) -> None:
    """One alert per key (default `<kind>:<booking id>`: one of a kind per booking), where
    the policy routes `kind` (bookings to the customer's channel, late charges to the team).
    One withdrawn by a restore is raised again, in place, by the next cancellation."""
    raise_or_revive(
        db,
        policy,
        key=key or f"{kind}:{booking.id}",
        kind=kind,
        customer=booking.customer,
        now=now,
        text=text,
    )
