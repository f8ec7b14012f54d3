"""How bookings read to people: `/book list` lines, the upcoming sessions on `/balance`, and
the engineer names, time spans and Slack dates every booking message is written with."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.bookings.charges import (
    BookingStatus,
    billed_minutes,
    kind_of,
    status_of,
    status_words,
)
from bot.policy.model import Policy
from bot.units import format_minutes, format_work_date, plural
from store.models import Booking, Customer
from store.repositories.bookings import Bookings
from store.repositories.core import UserProfiles

RECENT = timedelta(days=7)
LIST_LIMIT = 25


def engineer_name(db: Session, user_id: str, labels: dict[str, str] | None = None) -> str:
    if labels and labels.get(user_id):
        return labels[user_id]
    profile = UserProfiles.find(db, user_id)
    return profile.name if profile is not None and profile.name else f"<@{user_id}>"


def format_span(
    start: datetime, minutes: int, tz: ZoneInfo, *, now: datetime | None, day: bool = True
) -> str:
    """`Mon 23 Nov 15:00–16:00 GMT` in the reader's timezone; `Tue 5 Jan 2027 10:00–11:00 GMT`
    when the day is not in `now`'s year (a booking may be a year ahead)."""
    local = start.astimezone(tz)
    end = (start + timedelta(minutes=minutes)).astimezone(tz)
    text = f"{local:%H:%M}–{end:%H:%M}"
    if day:
        today = now.astimezone(tz).date() if now is not None else None
        text = f"{format_work_date(local.date(), today)} {text}"
    return f"{text} {local:%Z}"


def slack_time(start: datetime, policy: Policy) -> str:
    """A time Slack shows in each reader's own timezone (fallback: the provider's)."""
    local = start.astimezone(policy.timezone)
    fallback = f"{local:%a} {local.day} {local:%b} {local:%H:%M} {local:%Z}"
    return f"<!date^{int(start.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


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
    people = ", ".join(
        engineer_name(db, e.user_id) + (" (extra)" if e.extra else "") for e in booking.engineers
    )
    status = status_of(booking, now)
    billed = billed_minutes(booking, now)
    tail = f", {format_minutes(billed)} billed" if billed else ""
    return (
        f"#{booking.id} {booking.customer.name} "
        f"{format_span(booking.start_at, booking.minutes, tz, now=now)}, "
        f"{kind_of(booking)}, {people}: {status_words(status)}{tail}"
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
        if b.status == BookingStatus.BOOKED
    ]
    if not rows:
        return ["No upcoming sessions."]
    lines = ["Upcoming sessions:"]
    for b in rows[:5]:
        lines.append(
            f"• #{b.id} {slack_time(b.start_at, policy)}, {format_minutes(b.minutes)} "
            f"{kind_of(b)} ({plural(len(b.engineers), 'engineer')})"
        )
    if len(rows) > 5:
        lines.append(f"…and {len(rows) - 5} more (`/book list {customer.name}`)")
    return lines
