"""One local day of a business calendar: the week's hours, then the date's exceptions.

A support desk's week has exceptions on single dates: a closure for all or part of a day
(`Closure`: closed 12:00-14:00 for an all-hands) and special hours that replace the week's
on a date (`SpecialHours`: Christmas Eve 08:00-12:00, a Saturday launch 10:00-14:00).
`plan_day` lays one local day out as labelled pieces of wall-clock minutes, open or closed
with the reason, so the business-time arithmetic and the `/ticket why` timeline read the
same rules:

1. special hours on the date replace the week's hours, and win over a public holiday (a
   desk that opens on a holiday says so on purpose);
2. otherwise a public holiday closes the whole day (a weekday without hours stays closed
   as a weekend or not a working day);
3. closures then close whatever they cover, whatever the day's hours were (a closure wins
   over special hours on the same date).

Pure: dates and minutes only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeGuard, cast

MINUTES_PER_DAY = 1440
OUTSIDE_HOURS = "outside business hours"
WHOLE_DAY_CLOSURE = "closure"
_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DASH = "\u2013"

OpeningHours = tuple[tuple[int, int], ...]
Piece = tuple[int, int, str | None]  # [start, end) minutes of local time; None = open


def _is_minute(value: object) -> TypeGuard[int]:
    """A whole minute of the day as the policy writes it: an int, not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def checked_hours(owner: str, what: str, intervals: Iterable[object]) -> OpeningHours:
    """`intervals` as sorted, non-overlapping (start, end) minutes with 0 <= start < end <=
    1440; raise ValueError naming `owner` (the calendar) and `what` (the day) otherwise."""
    hours = tuple(_checked_interval(owner, what, pair) for pair in intervals)
    for (_, previous_end), (start, _) in itertools.pairwise(hours):
        if start < previous_end:
            raise ValueError(
                f"calendar {owner!r}: {what} opening hours {list(hours)} must be sorted "
                "and must not overlap"
            )
    return hours


def _checked_interval(owner: str, what: str, pair: object) -> tuple[int, int]:
    try:
        start, end = cast(Iterable[object], pair)
    except (TypeError, ValueError):
        raise ValueError(
            f"calendar {owner!r}: opening interval {pair!r} must be (start, end) minutes"
        ) from None
    if not (_is_minute(start) and _is_minute(end)):
        raise ValueError(f"calendar {owner!r}: opening interval {pair!r} must use whole minutes")
    if not 0 <= start < end <= MINUTES_PER_DAY:
        raise ValueError(
            f"calendar {owner!r}: {what} opening interval ({start}, {end}) needs "
            f"0 <= start < end <= {MINUTES_PER_DAY}"
        )
    return (start, end)


def weekday_name(weekday: int) -> str:
    return _WEEKDAY_NAMES[weekday]


def clock_text(minute: int) -> str:
    """Minutes of the day as wall-clock text: 480 -> "08:00", 1440 -> "24:00"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def hours_text(hours: OpeningHours) -> str:
    """ "08:00–12:00, 13:00–17:00", or "closed"."""
    return ", ".join(f"{clock_text(s)}{_DASH}{clock_text(e)}" for s, e in hours) or "closed"


def _checked_day(owner: str, day: object, what: str) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ValueError(f"calendar {owner!r}: {what} {day!r} must be a date")
    return day


@dataclass(frozen=True)
class Closure:
    """Closed on local `day` from minute `start` to `end` (the whole day by default)."""

    day: date
    start: int = 0
    end: int = MINUTES_PER_DAY
    reason: str = WHOLE_DAY_CLOSURE

    def check(self, owner: str) -> None:
        """Raise ValueError naming calendar `owner` if this closure is malformed."""
        _checked_day(owner, self.day, "closure")
        checked_hours(owner, f"closure on {self.day}", [(self.start, self.end)])
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ValueError(f"calendar {owner!r}: closure on {self.day} needs a reason")


@dataclass(frozen=True)
class SpecialHours:
    """Hours that replace the week's on local `day` (none: closed that day), with a reason."""

    day: date
    hours: OpeningHours
    reason: str | None = None

    def check(self, owner: str) -> OpeningHours:
        """The hours, checked; raise ValueError naming calendar `owner` if malformed."""
        _checked_day(owner, self.day, "special hours date")
        return checked_hours(owner, f"special hours on {self.day}", self.hours)

    @property
    def label(self) -> str:
        """How the timeline names the day: "Christmas Eve: special hours 08:00–12:00"."""
        text = f"special hours {hours_text(self.hours)}"
        return f"{self.reason}: {text}" if self.reason else text


def plan_day(
    day: date,
    week: OpeningHours,
    holiday: str | None,
    special: SpecialHours | None,
    closures: Sequence[Closure],
) -> tuple[Piece, ...]:
    """Local `day` as pieces covering [0, 1440) minutes, each open (None) or closed with its
    reason, by the rules in the module docstring; touching pieces with one label merged."""
    if special is not None:
        hours, closed = special.hours, special.label
    elif holiday is not None and week:
        hours, closed = (), holiday
    elif week:
        hours, closed = week, OUTSIDE_HOURS
    else:
        hours, closed = (), "weekend" if day.weekday() >= 5 else "not a working day"
    pieces: list[Piece] = []
    cursor = 0
    for start, end in hours:
        if cursor < start:
            # The night before the first opening reads as any other night.
            pieces.append((cursor, start, closed if cursor else OUTSIDE_HOURS))
        pieces.append((start, end, None))
        cursor = end
    if cursor < MINUTES_PER_DAY:
        pieces.append((cursor, MINUTES_PER_DAY, closed))
    for closure in closures:
        pieces = _close(pieces, closure)
    if hours and not open_hours(pieces):
        # Closed all day by its closures: the day reads as the (first) closure's.
        reasons = {closure.reason for closure in closures}
        reason = next(label for _, _, label in pieces if label in reasons)
        return ((0, MINUTES_PER_DAY, reason),)
    return _merged(pieces)


def _close(pieces: list[Piece], closure: Closure) -> list[Piece]:
    """Open minutes within the closure become closed with its reason."""
    result: list[Piece] = []
    for start, end, label in pieces:
        if label is not None or end <= closure.start or closure.end <= start:
            result.append((start, end, label))
            continue
        if start < closure.start:
            result.append((start, closure.start, None))
        result.append((max(start, closure.start), min(end, closure.end), closure.reason))
        if closure.end < end:
            result.append((closure.end, end, None))
    return result


def _merged(pieces: list[Piece]) -> tuple[Piece, ...]:
    merged: list[Piece] = []
    for start, end, label in pieces:
        if merged and merged[-1][2] == label and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end, label)
        else:
            merged.append((start, end, label))
    return tuple(merged)


def open_hours(pieces: Sequence[Piece]) -> OpeningHours:
    """The open pieces of a planned day as opening hours."""
    return tuple((start, end) for start, end, label in pieces if label is None)
