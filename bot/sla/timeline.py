"""A ticket's timeline: the stretches of its life in which a clock ran, was paused, or the team
was closed, for `/ticket why`.

The clocks hand over their running and paused phases; this module cuts each running phase
along the business calendar into open stretches (time counted) and closed ones, each closed
one with its reason (a holiday's name, "closure" or a closure's own reason, special hours,
"weekend", "not a working day", or "outside business hours"); an open stretch on a day with
special hours carries them as its reason. Pure: calendar arithmetic only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum

from bot.calendar.business import BusinessCalendar
from bot.calendar.days import OUTSIDE_HOURS

WAITING_ON_CUSTOMER = "waiting on customer"
_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_Day = tuple[date, datetime, datetime]


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
    part_day: bool = False  # closed for part of a day only (a part-day closure, special hours)


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
            _add_closed(segments, calendar, cursor, open_from)
            segments.extend(_open_segments(calendar, open_from, open_until))
            cursor = open_until
        _add_closed(segments, calendar, cursor, end)
    return segments


def _days(calendar: BusinessCalendar, start: datetime, end: datetime) -> Iterator[_Day]:
    """The local days touching [start, end), each as (date, its start, its end) clipped."""
    zone = calendar.zone
    cursor = start
    while cursor < end:
        day = cursor.astimezone(zone).date()
        day_end = _local(day + _ONE_DAY, 0, zone)
        if day_end <= cursor:  # guard against odd DST changes at midnight
            day_end = cursor + _ONE_DAY
        yield day, cursor, min(day_end, end)
        cursor = min(day_end, end)


def _open_segments(calendar: BusinessCalendar, start: datetime, end: datetime) -> list[Segment]:
    """An open stretch as running segments, cut where a day with special hours begins or
    ends so each carries the special's reason."""
    segments: list[Segment] = []
    for day, piece_start, piece_end in _days(calendar, start, end):
        special = calendar.special_on(day)
        reason = special.label if special is not None else None
        last = segments[-1] if segments else None
        if last is not None and last.reason == reason:
            piece_start = last.start
            segments.pop()
        business = piece_end - piece_start
        segments.append(Segment(piece_start, piece_end, SegmentKind.RUNNING, business, reason))
    return segments


def _add_closed(
    segments: list[Segment], calendar: BusinessCalendar, start: datetime, end: datetime
) -> None:
    """Closed time cut along each day's pieces, with their reasons: a day closed all day (a
    holiday, a closure, a weekend) is one segment; within a day, part-day closures and
    special hours name themselves; overnight gaps ("outside business hours") are merged."""
    zone = calendar.zone
    for day, cursor, day_end in _days(calendar, start, end):
        pieces = calendar.day_pieces(day)
        for _, piece_end, reason in pieces:
            until = min(max(_local(day, piece_end, zone), cursor), day_end)
            if piece_end == pieces[-1][1]:
                until = day_end
            if until <= cursor:
                continue
            label = reason or OUTSIDE_HOURS  # open only where DST moved a piece's edge
            if segments and _continues(segments[-1], label, cursor):
                cursor = segments.pop().start
            segments.append(
                Segment(cursor, until, SegmentKind.CLOSED, _ZERO, label, len(pieces) > 1)
            )
            cursor = until


def _continues(last: Segment, label: str, at: datetime) -> bool:
    """Whether closed time from `at` labelled `label` extends `last` (overnight gaps and one
    reason's part-day pieces do; whole days closed stay one segment each)."""
    return (
        last.kind == SegmentKind.CLOSED
        and last.reason == label
        and last.end == at
        and (label == OUTSIDE_HOURS or last.part_day)
    )


def _local(day: date, minute: int, zone: tzinfo) -> datetime:
    wall = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)
    return wall.replace(tzinfo=zone).astimezone(UTC)
