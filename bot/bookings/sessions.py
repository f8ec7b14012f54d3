"""Booked 1-on-1 and training sessions (seeds 001 and 000).

The rules, each configurable in the policy:

* A booking has a customer, a start, a length and one or more engineers. The booking agent
  is the engineer unless others are named; `extra` marks the named engineers as ones the
  customer asked for, billed in addition to the booking agent (seed 001).
* A booking not cancelled is `held` once its end has passed, and bills its scheduled length
  per engineer billed: minutes x (1 + extras). Held sessions draw down the hour blocks;
  training sessions bill at `provider.training_rate` instead (seed 000).
* Cancelled `cancellation.free_notice` (24 h) or more before the start: `cancelled`, free.
  Later: `late_cancelled`, `cancellation.late_charge` (30 m) billed and a `late_cancellation`
  alert. After the start, a no-show: `no_show`, `cancellation.no_show_charge` billed.
* Reminders go out `bookings.reminders` before the start (24 h and 1 h), each once.

Slack-free: handlers parse what people type into a `BookingForm` and render the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot import customers as customer_service
from bot.alerts.outbox import alert_channel, raise_alert
from bot.billing.blocks import Charge
from bot.billing.drawdown import after_drawdown
from bot.parsing import (
    InputError,
    format_duration,
    local_to_utc,
    month_bounds,
    parse_clock_time,
    parse_date,
    parse_duration,
    parse_mention,
    parse_record_id,
)
from bot.policy.model import Policy
from bot.units import format_minutes
from store.models import Booking, Customer
from store.repositories.bookings import Bookings
from store.repositories.core import UserProfiles

BOOKED, HELD, CANCELLED, LATE_CANCELLED, NO_SHOW = (
    "booked",
    "held",
    "cancelled",
    "late_cancelled",
    "no_show",
)
FLAGS = ("extra", "training")
RECENT = timedelta(days=7)
LIST_LIMIT = 25


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


def parse_book_text(tokens: list[str]) -> BookingForm:
    """`<customer> <date> <HH:MM> <duration> [@engineer…] [extra] [training]`."""
    if len(tokens) < 4:
        raise InputError("give a customer, a date and time, and a duration")
    customer, day, clock, duration, *rest = tokens
    engineers: list[str] = []
    labels: dict[str, str] = {}
    flags: set[str] = set()
    for token in rest:
        word = token.lower()
        if word in FLAGS:
            flags.add(word)
            continue
        mention = parse_mention(token)
        if mention is None or mention.kind != "user":
            raise BookingInputError(
                "engineers",
                f"`{token}` is not an engineer (@mention someone) or `extra`/`training`",
            )
        if mention.id not in engineers:
            engineers.append(mention.id)
        if mention.label:
            labels[mention.id] = mention.label
    return BookingForm(
        customer=customer,
        day=day,
        clock=clock,
        duration=duration,
        engineers=tuple(engineers),
        extra="extra" in flags,
        training="training" in flags,
        labels=labels,
    )


# --- derived state ----------------------------------------------------------------------------


def status_of(booking: Booking, now: datetime) -> str:
    if booking.status == BOOKED and booking.end_at <= now:
        return HELD
    return booking.status


def extras(booking: Booking) -> int:
    return sum(1 for engineer in booking.engineers if engineer.extra)


def held_minutes(booking: Booking) -> int:
    """A held session's billed minutes: its length for the lead engineer and each extra."""
    return booking.minutes * (1 + extras(booking))


def billed_minutes(booking: Booking, now: datetime) -> int:
    status = status_of(booking, now)
    if status == HELD:
        return held_minutes(booking)
    if status in (LATE_CANCELLED, NO_SHOW):
        return booking.charge_minutes or 0
    return 0


def kind_of(booking: Booking) -> str:
    return "training" if booking.training else "session"


def work_date(policy: Policy, booking: Booking) -> date:
    """The day a booking's billing falls on, in the provider's timezone.

    A late cancellation is billed the day it is made (so it shows at once, and the hour
    block valid then pays for it); everything else on the day the session was to start.
    """
    if booking.status == LATE_CANCELLED and booking.cancelled_at is not None:
        return booking.cancelled_at.astimezone(policy.timezone).date()
    return booking.start_at.astimezone(policy.timezone).date()


# --- booking ----------------------------------------------------------------------------------


def _whole_minutes(text: str, policy: Policy) -> int:
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


def _start(form: BookingForm, tz: ZoneInfo, now: datetime, policy: Policy) -> datetime:
    today = now.astimezone(tz).date()
    try:
        day = parse_date(form.day, today)
    except InputError as exc:
        raise BookingInputError("date", str(exc)) from None
    try:
        clock: time = parse_clock_time(form.clock)
    except InputError as exc:
        raise BookingInputError("time", str(exc)) from None
    try:
        start = local_to_utc(day, clock, tz)
    except InputError as exc:
        raise BookingInputError("time", str(exc)) from None
    if start <= now:
        raise BookingInputError(
            "date", f"{day.isoformat()} {clock:%H:%M} ({tz.key}) is in the past"
        )
    if start - now > timedelta(days=policy.bookings.max_ahead_days):
        raise BookingInputError(
            "date",
            f"that is more than {policy.bookings.max_ahead_days} days ahead; book nearer the time",
        )
    return start


def engineer_name(db: Session, user_id: str, labels: dict[str, str] | None = None) -> str:
    if labels and labels.get(user_id):
        return labels[user_id]
    profile = UserProfiles.get(db, user_id)
    return profile.name if profile is not None and profile.name else f"<@{user_id}>"


def format_span(start: datetime, minutes: int, tz: ZoneInfo, *, day: bool = True) -> str:
    """`Mon 23 Nov 15:00–16:00 GMT` in the reader's timezone."""
    local = start.astimezone(tz)
    end = (start + timedelta(minutes=minutes)).astimezone(tz)
    text = f"{local:%H:%M}–{end:%H:%M}"
    if day:
        text = f"{local:%a} {local.day} {local:%b} {text}"
    return f"{text} {local:%Z}"


def slack_time(start: datetime, policy: Policy) -> str:
    """A time Slack shows in each reader's own timezone (fallback: the provider's)."""
    local = start.astimezone(policy.timezone)
    fallback = f"{local:%a} {local.day} {local:%b} {local:%H:%M} {local:%Z}"
    return f"<!date^{int(start.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _reminder_offsets(policy: Policy) -> list[timedelta]:
    return sorted(set(policy.bookings.reminders), reverse=True)


def _next_reminder(policy: Policy, start: datetime, after: datetime) -> datetime | None:
    """The first reminder instant strictly after `after` (None if none is left)."""
    due = [start - offset for offset in _reminder_offsets(policy) if start - offset > after]
    return min(due) if due else None


def _next_check(policy: Policy, booking: Booking, after: datetime) -> datetime:
    """When the sweep should next look at a booking (its indexed next_reminder_at): the next
    reminder, else the session's end, when it is held and its time draws on the blocks."""
    return _next_reminder(policy, booking.start_at, after) or booking.end_at


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
    try:
        customer = customer_service.get_customer(db, form.customer)
    except InputError as exc:
        raise BookingInputError("customer", str(exc)) from None
    start = _start(form, tz, now, policy)
    minutes = _whole_minutes(form.duration, policy)
    end = start + timedelta(minutes=minutes)
    if form.extra and not form.engineers:
        raise BookingInputError(
            "engineers", "`extra` needs the engineer(s) the customer asked for (@mention them)"
        )
    if form.extra:
        # The booking agent leads; the named engineers come in addition, at the customer's ask.
        named = [user for user in form.engineers if user != agent]
        if not named:
            raise BookingInputError("engineers", "name an extra engineer other than yourself")
        engineers = [(agent, False)] + [(user, True) for user in named]
    else:
        engineers = [(user, False) for user in (form.engineers or (agent,))]
    user_ids = [user for user, _ in engineers]
    Bookings.lock_engineers(db, user_ids)
    clashes = Bookings.clashes(db, user_ids, start, end)
    if clashes:
        other, user_id = clashes[0]
        other_customer = other.customer
        raise BookingInputError(
            "engineers",
            f"that clashes: {engineer_name(db, user_id, form.labels)} is already booked with "
            f"{other_customer.name} {format_span(other.start_at, other.minutes, tz, day=False)} "
            f"(#{other.id})",
        )
    booking = Bookings.add(
        db,
        Booking(
            customer_id=customer.id,
            start_at=start,
            end_at=end,
            minutes=minutes,
            training=form.training,
            status=BOOKED,
            created_at=now,
            created_by=agent,
            next_reminder_at=_next_reminder(policy, start, now) or end,
        ),
        engineers,
    )
    who = ", ".join(
        f"<@{user}>" + (" (extra, at your request)" if extra else "") for user, extra in engineers
    )
    raise_alert(
        db,
        key=f"booking_confirmed:{booking.id}",
        kind="booking_confirmed",
        channel=alert_channel(customer, policy.alert_channel),
        customer_id=customer.id,
        now=now,
        text=(
            f":calendar: {kind_of(booking).capitalize()} #{booking.id} booked for "
            f"*{customer.name}*: {slack_time(start, policy)}, {format_minutes(minutes)} "
            f"with {who}. Cancelling less than "
            f"{format_duration(policy.cancellation.free_notice)} before the start bills "
            f"{format_minutes(_minutes(policy.cancellation.late_charge))}."
        ),
    )
    return booking


def _minutes(value: timedelta) -> int:
    return int(value.total_seconds()) // 60


# --- cancellations and no-shows ---------------------------------------------------------------


def parse_booking_id(text: str) -> int:
    return parse_record_id(text, "booking")


def _get(db: Session, text: str) -> Booking:
    booking = Bookings.get(db, parse_booking_id(text), for_update=True)
    if booking is None:
        raise InputError(f"there is no booking #{parse_booking_id(text)}")
    return booking


_SETTLED = {
    CANCELLED: "was already cancelled",
    LATE_CANCELLED: "was already cancelled late",
    NO_SHOW: "is already marked as a no-show",
}


@dataclass(frozen=True)
class Outcome:
    booking: Booking
    customer: Customer
    status: str
    charge_minutes: int


def is_late(policy: Policy, start: datetime, now: datetime) -> bool:
    """Cancelling at `now` is late when less than the free notice is left before `start`."""
    return start - now < policy.cancellation.free_notice


def cancel(db: Session, policy: Policy, text: str, *, actor: str, now: datetime) -> Outcome:
    """Cancel a booking: free with enough notice, else the late charge and an alert."""
    booking = _get(db, text)
    if booking.status in _SETTLED:
        raise InputError(f"#{booking.id} {_SETTLED[booking.status]}; nothing changed")
    if status_of(booking, now) == HELD:
        raise InputError(f"#{booking.id} has already been held; nothing changed")
    if now >= booking.start_at:
        raise InputError(
            f"#{booking.id} has already started; if the customer did not come, use "
            f"`/book noshow #{booking.id}`"
        )
    customer = booking.customer
    late = is_late(policy, booking.start_at, now)
    charge = _minutes(policy.cancellation.late_charge) if late else 0
    booking.status = LATE_CANCELLED if late else CANCELLED
    booking.cancelled_at, booking.cancelled_by = now, actor
    booking.charge_minutes = charge if late else None
    booking.next_reminder_at = None
    channel = alert_channel(customer, policy.alert_channel)
    if late:
        notice = booking.start_at - now
        raise_alert(
            db,
            key=f"late_cancellation:{booking.id}",
            kind="late_cancellation",
            channel=channel,
            customer_id=customer.id,
            now=now,
            text=(
                f":warning: Late cancellation: *{customer.name}* cancelled "
                f"{kind_of(booking)} #{booking.id} ({slack_time(booking.start_at, policy)}) "
                f"{format_duration(notice)} before the start, less than the "
                f"{format_duration(policy.cancellation.free_notice)} notice; "
                f"{format_minutes(charge)} billed."
            ),
        )
        _check_balance(db, policy, booking, customer, now)
    else:
        raise_alert(
            db,
            key=f"booking_cancelled:{booking.id}",
            kind="booking_cancelled",
            channel=channel,
            customer_id=customer.id,
            now=now,
            text=(
                f":calendar: {kind_of(booking).capitalize()} #{booking.id} for *{customer.name}* "
                f"({slack_time(booking.start_at, policy)}) is cancelled; nothing is billed."
            ),
        )
    db.flush()
    return Outcome(booking, customer, booking.status, charge)


def no_show(db: Session, policy: Policy, text: str, *, actor: str, now: datetime) -> Outcome:
    """The customer did not come: the no-show charge and an alert (only once started)."""
    booking = _get(db, text)
    if booking.status in _SETTLED:
        raise InputError(f"#{booking.id} {_SETTLED[booking.status]}; nothing changed")
    if now < booking.start_at:
        raise InputError(
            f"#{booking.id} has not started yet; to call it off use `/book cancel #{booking.id}`"
        )
    customer = booking.customer
    charge = _minutes(policy.cancellation.no_show_charge)
    booking.status = NO_SHOW
    booking.cancelled_at, booking.cancelled_by = now, actor
    booking.charge_minutes = charge
    booking.next_reminder_at = None
    raise_alert(
        db,
        key=f"late_cancellation:{booking.id}",
        kind="late_cancellation",
        channel=alert_channel(customer, policy.alert_channel),
        customer_id=customer.id,
        now=now,
        text=(
            f":warning: No-show: *{customer.name}* did not attend {kind_of(booking)} "
            f"#{booking.id} ({slack_time(booking.start_at, policy)}); "
            f"{format_minutes(charge)} billed."
        ),
    )
    _check_balance(db, policy, booking, customer, now)
    return Outcome(booking, customer, NO_SHOW, charge)


def _check_balance(
    db: Session, policy: Policy, booking: Booking, customer: Customer, now: datetime
) -> int:
    """A charge from the blocks may take the balance to the block_low threshold. Training
    is billed at the training rate, not from the blocks, so it cannot."""
    if booking.training:
        return 0
    return after_drawdown(db, policy, customer, now)


# --- reading ----------------------------------------------------------------------------------


def recent_and_upcoming(
    db: Session, policy: Policy, now: datetime, customer: Customer | None = None
) -> list[Booking]:
    """Bookings from a week ago onwards, soonest first."""
    first = now - RECENT - policy.bookings.max_duration
    last = now + timedelta(days=policy.bookings.max_ahead_days + 1)
    rows = Bookings.starting_between(
        db, first, last, customer_id=customer.id if customer else None, limit=LIST_LIMIT * 4
    )
    return [b for b in rows if b.end_at >= now - RECENT][:LIST_LIMIT]


def describe(db: Session, booking: Booking, tz: ZoneInfo, now: datetime) -> str:
    """One line: `#3 acme Mon 23 Nov 15:00–16:00 GMT, session, alex + jo (extra): booked`."""
    customer = booking.customer
    people = ", ".join(
        engineer_name(db, e.user_id) + (" (extra)" if e.extra else "") for e in booking.engineers
    )
    status = status_of(booking, now)
    billed = billed_minutes(booking, now)
    tail = f", {format_minutes(billed)} billed" if billed else ""
    return (
        f"#{booking.id} {customer.name} {format_span(booking.start_at, booking.minutes, tz)}, "
        f"{kind_of(booking)}, {people}: {status.replace('_', ' ')}{tail}"
    )


def upcoming_lines(db: Session, policy: Policy, customer: Customer, now: datetime) -> list[str]:
    """For /balance: the customer's sessions still to come."""
    rows = [
        b
        for b in Bookings.starting_between(
            db,
            now,
            now + timedelta(days=policy.bookings.max_ahead_days + 1),
            customer_id=customer.id,
            limit=LIST_LIMIT,
        )
        if b.status == BOOKED
    ]
    if not rows:
        return ["No upcoming sessions."]
    lines = ["Upcoming sessions:"]
    for b in rows[:5]:
        lines.append(
            f"• #{b.id} {slack_time(b.start_at, policy)}, {format_minutes(b.minutes)} "
            f"{kind_of(b)} ({len(b.engineers)} engineer{'s' if len(b.engineers) != 1 else ''})"
        )
    if len(rows) > 5:
        lines.append(f"…and {len(rows) - 5} more (`/book list {customer.name}`)")
    return lines


# --- billing ----------------------------------------------------------------------------------


def session_charges(db: Session, policy: Policy, customer: Customer, now: datetime) -> list[Charge]:
    """Held sessions and cancellation charges, drawn from the hour blocks (not training)."""
    charges = []
    for booking in Bookings.for_customer(db, customer.id):
        if booking.training:
            continue
        status = status_of(booking, now)
        minutes = billed_minutes(booking, now)
        if not minutes:
            continue
        source = f"session:{booking.id}" if status == HELD else f"cancellation:{booking.id}"
        charges.append(Charge(work_date=work_date(policy, booking), minutes=minutes, source=source))
    return charges


def _month(db, policy, customer, first: date) -> list[Booking]:
    """Bookings billed in the month: starting in it, or cancelled late in it."""
    start, end = month_bounds(first.year, first.month, policy.timezone)
    # A late cancellation in the month may be of a session starting early next month.
    reach = policy.cancellation.free_notice + timedelta(days=1)
    rows = Bookings.starting_between(db, start, end + reach, customer_id=customer.id)
    return [b for b in rows if work_date(policy, b).replace(day=1) == first.replace(day=1)]


def sessions_rows(
    db: Session, policy: Policy, customer: Customer, first: date, now: datetime
) -> list[dict]:
    """The statement's `sessions` section (SPEC §6): sessions starting in the month."""
    return [
        {
            "id": str(b.id),
            "start": b.start_at.astimezone(UTC).isoformat(),
            "minutes": b.minutes,
            "engineers": len(b.engineers),
            "kind": kind_of(b),
            "status": status_of(b, now),
            "billed_minutes": billed_minutes(b, now),
        }
        for b in _month(db, policy, customer, first)
    ]


def training_minutes(
    db: Session, policy: Policy, customer: Customer, first: date, now: datetime
) -> int:
    """Training in the month, held or charged for cancelling: billed at the training rate,
    never drawn from the hour blocks."""
    return sum(billed_minutes(b, now) for b in _month(db, policy, customer, first) if b.training)


# --- reminders --------------------------------------------------------------------------------


def reminder_sweep(db: Session, policy: Policy, now: datetime) -> int:
    """DM each engineer and note in the customer's channel before each booking, each once.

    Reads only bookings whose next_reminder_at has come. If the clock was down and several
    offsets passed, only the nearest is sent (a 24 h reminder an hour before helps no one).
    """
    raised = 0
    for booking in Bookings.reminders_due(db, now):
        if booking.status != BOOKED:
            booking.next_reminder_at = None
            continue
        if now >= booking.end_at:
            # Held: its time now draws on the blocks (see _next_check).
            booking.next_reminder_at = None
            raised += _check_balance(
                db, policy, booking, booking.customer, now
            )
            continue
        if now < booking.start_at:
            passed = [o for o in _reminder_offsets(policy) if booking.start_at - o <= now]
            if passed:
                raised += _send_reminders(db, policy, booking, min(passed), now)
        booking.next_reminder_at = _next_check(policy, booking, now)
    db.flush()
    return raised


def _send_reminders(
    db: Session, policy: Policy, booking: Booking, offset: timedelta, now: datetime
) -> int:
    customer = booking.customer
    label = format_duration(offset).replace(" ", "")
    when = slack_time(booking.start_at, policy)
    people = ", ".join(f"<@{e.user_id}>" for e in booking.engineers)
    raised = 0
    for engineer in booking.engineers:
        raised += raise_alert(
            db,
            key=f"booking_reminder:{booking.id}:{label}:{engineer.user_id}",
            kind="booking_reminder",
            channel=engineer.user_id,
            customer_id=customer.id,
            now=now,
            text=(
                f":alarm_clock: In {format_duration(booking.start_at - now)}: "
                f"{kind_of(booking)} #{booking.id} "
                f"with *{customer.name}*, {when}, {format_minutes(booking.minutes)}"
                + (" (you were asked for by the customer)" if engineer.extra else "")
                + "."
            ),
        )
    channel = alert_channel(customer, policy.alert_channel)
    raised += raise_alert(
        db,
        key=f"booking_reminder:{booking.id}:{label}:{channel or 'none'}",
        kind="booking_reminder",
        channel=channel,
        customer_id=customer.id,
        now=now,
        text=(
            f":alarm_clock: Reminder: your {kind_of(booking)} #{booking.id} is {when} "
            f"({format_minutes(booking.minutes)} with {people}). Cancelling now "
            + (
                "is free."
                if booking.start_at - now >= policy.cancellation.free_notice
                else f"bills {format_minutes(_minutes(policy.cancellation.late_charge))}."
            )
        ),
    )
    return raised


def confirmation(db: Session, policy: Policy, booking: Booking, tz: ZoneInfo) -> str:
    """The reply to whoever booked: the new `#id` and the time in their timezone."""
    customer = booking.customer
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
        f":calendar: Booked #{booking.id}: {kind_of(booking)} for *{customer.name}* "
        f"{format_span(booking.start_at, booking.minutes, tz)}, "
        f"{format_minutes(booking.minutes)} with {people}. Bills "
        f"{format_minutes(held_minutes(booking))} once held{rate}. "
        f"Cancel with `/book cancel #{booking.id}`."
    )
