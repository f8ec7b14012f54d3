"""Booking reminders (seed 001): when the sweep next looks at each booking, and the sweep
itself, which reminds engineers and the customer's channel before the start and starts
drawing a session's time on the hour blocks once it has been held.

Reminders go out `bookings.reminders` before the start (24 h and 1 h), each once. The sweep
reads only bookings whose indexed `next_reminder_at` has come.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.alerts.outbox import raise_alert
from bot.bookings.charges import BookingStatus, check_balance, is_late, kind_of, late_charge
from bot.bookings.listing import slack_time
from bot.parsing import format_duration
from bot.policy.model import Policy
from bot.units import format_minutes
from store.models import Booking
from store.repositories.bookings import Bookings
from store.repositories.core import lock_customers


def _reminder_offsets(policy: Policy) -> list[timedelta]:
    return sorted(set(policy.bookings.reminders), reverse=True)


def next_check(policy: Policy, start: datetime, end: datetime, after: datetime) -> datetime:
    """When the sweep should next look at a booking (its indexed next_reminder_at): the first
    reminder strictly after `after`, else the session's end, when it is held and its time
    draws on the blocks."""
    due = [start - offset for offset in _reminder_offsets(policy) if start - offset > after]
    return min(due) if due else end


def reminder_sweep(db: Session, policy: Policy, now: datetime) -> int:
    """DM each engineer and note in the customer's channel before each booking, each once.

    Reads only bookings whose next_reminder_at has come. If the clock was down and several
    offsets passed, only the nearest is sent (a 24 h reminder an hour before helps no one).
    """
    raised = 0
    due = Bookings.reminders_due(db, now)
    # The held ones draw on their customers' blocks (read under the customer's lock). Every
    # customer in the batch is locked up front, in order, not only theirs: a reminder's
    # alert row takes a key-share lock on its customer, which would otherwise wait for
    # another clock holding that customer while it waits for ours (lock_customers).
    lock_customers(db, (b.customer_id for b in due if b.status == BookingStatus.BOOKED))
    for booking in due:
        if booking.status != BookingStatus.BOOKED:
            booking.next_reminder_at = None
            continue
        if now >= booking.end_at:
            # Held: its time now draws on the blocks (see next_check).
            booking.next_reminder_at = None
            raised += check_balance(db, policy, booking, now)
            continue
        if now < booking.start_at:
            passed = [o for o in _reminder_offsets(policy) if booking.start_at - o <= now]
            if passed:
                label = format_duration(min(passed)).replace(" ", "")
                raised += _remind_engineers(db, policy, booking, label, now)
                raised += _remind_channel(db, policy, booking, label, now)
        booking.next_reminder_at = next_check(policy, booking.start_at, booking.end_at, now)
    db.flush()
    return raised


def _slot(booking: Booking) -> str:
    """`<id>@<start, Unix seconds>`: a moved booking is reminded again for its new time."""
    return f"{booking.id}@{int(booking.start_at.timestamp())}"


def _remind_engineers(
    db: Session, policy: Policy, booking: Booking, label: str, now: datetime
) -> int:
    """A DM to each engineer on the booking."""
    customer = booking.customer
    raised = 0
    for engineer in booking.engineers:
        raised += raise_alert(
            db,
            policy,
            key=f"booking_reminder:{_slot(booking)}:{label}:{engineer.user_id}",
            kind="booking_reminder",
            customer=customer,
            to=engineer.user_id,
            now=now,
            text=(
                f":alarm_clock: In {format_duration(booking.start_at - now)}: "
                f"{kind_of(booking)} #{booking.id} "
                f"with *{customer.name}*, {slack_time(booking.start_at, policy)}, "
                f"{format_minutes(booking.minutes)}"
                + (" (you were asked for by the customer)" if engineer.extra else "")
                + "."
            ),
        )
    return raised


def _remind_channel(
    db: Session, policy: Policy, booking: Booking, label: str, now: datetime
) -> int:
    """A note in the customer's channel (where the policy routes booking reminders), saying
    what cancelling now would bill."""
    customer = booking.customer
    # The key names the channel it went to before alerts were routed, so that a reminder is
    # never sent twice across the upgrade.
    channel = customer.channel_id or policy.alert_channel
    people = ", ".join(f"<@{e.user_id}>" for e in booking.engineers)
    cost = (
        f"bills {format_minutes(late_charge(policy, now))}."
        if is_late(policy, booking.start_at, now)
        else "is free."
    )
    return raise_alert(
        db,
        policy,
        key=f"booking_reminder:{_slot(booking)}:{label}:{channel or 'none'}",
        kind="booking_reminder",
        customer=customer,
        now=now,
        text=(
            f":alarm_clock: Reminder: your {kind_of(booking)} #{booking.id} is "
            f"{slack_time(booking.start_at, policy)} "
            f"({format_minutes(booking.minutes)} with {people}). Cancelling now {cost}"
        ),
    )
