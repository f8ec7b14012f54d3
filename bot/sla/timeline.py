"""A ticket's timeline: the stretches of its life in which a clock ran, was paused, or the team
was closed, for `/ticket why`.

The clocks hand over their running and paused phases; this module cuts each running phase
along the business calendar into open stretches (time counted) and closed ones, each closed
one with its reason (a holiday's name, "closure", "weekend", "not a working day", or
"outside business hours"). Pure: calendar arithmetic only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum

from bot.calendar.business import BusinessCalendar

OUTSIDE_HOURS = "outside business hours"
WAITING_ON_CUSTOMER = "waiting on customer"
_ZERO = timedelta(0)


class SegmentKind(StrEnum):
    RUNNING = "running"  # a clock ran while the team was open
    PAUSED = "paused"  # waiting on the customer
    CLOSED = "closed"  # a clock ran but the team was closed


@dataclass(frozen=True)
class Segment:
    """A stretch of a ticket's life, for `/ticket why`.

    kind "running": a clock ran during open hours (`business` counted); "closed": a clock ran
    but the team was closed (`reason`: a holiday name, "closure", "weekend", "not a working
    day" for whole days, or "outside business hours"); "paused": waiting on the customer
    (`business` = open time that did not count, `reason` "waiting on customer").
    """

    start: datetime
    end: datetime
    kind: SegmentKind
    business: timedelta
    reason: str | None = None


Phase = tuple[datetime, datetime, SegmentKind]  # a running or paused phase of the ticket


def build_timeline(phases: list[Phase], calendar: BusinessCalendar) -> list[Segment]:
    """Cut running phases into open and closed segments; paused phases stay whole."""
    segments: list[Segment] = []
    for start, end, kind in phases:
        if kind == SegmentKind.PAUSED:
            paused_business = calendar.business_time_between(start, end)
            segments.append(
                Segment(start, end, SegmentKind.PAUSED, paused_business, WAITING_ON_CUSTOMER)
            )
            continue
        cursor = start
        for open_from, open_until in calendar.open_intervals(start, end):
            segments.extend(_closed_segments(calendar, cursor, open_from))
            segments.append(
                Segment(open_from, open_until, SegmentKind.RUNNING, open_until - open_from)
            )
            cursor = open_until
        segments.extend(_closed_segments(calendar, cursor, end))
    return segments


def _closed_segments(calendar: BusinessCalendar, start: datetime, end: datetime) -> list[Segment]:
    """Split closed time into one segment per day closed all day (with the reason) and
    overnight gaps ("outside business hours")."""
    zone = calendar.zone
    skipped = dict(calendar.closed_days(start, end))
    segments: list[Segment] = []
    cursor = start
    while cursor < end:
        day = cursor.astimezone(zone).date()
        day_end = _local_midnight(day + timedelta(days=1), zone)
        if day_end <= cursor:  # guard against odd DST changes at midnight
            day_end = cursor + timedelta(days=1)
        piece_end = min(day_end, end)
        reason = _closed_reason(calendar, day, skipped)
        last = segments[-1] if segments else None
        if last is not None and last.reason == reason == OUTSIDE_HOURS:
            segments[-1] = Segment(last.start, piece_end, SegmentKind.CLOSED, _ZERO, reason)
        else:
            segments.append(Segment(cursor, piece_end, SegmentKind.CLOSED, _ZERO, reason))
        cursor = piece_end
    return segments


def _closed_reason(calendar: BusinessCalendar, day: date, skipped: dict[date, str]) -> str:
    """Why the team was closed during (part of) local `day`."""
    if day in skipped:
        return skipped[day]
    if not calendar.weekly_hours.get(day.weekday()):
        return "weekend" if day.weekday() >= 5 else "not a working day"
    return OUTSIDE_HOURS


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
