"""Targets in business days ("2bd"), as distinct from business hours ("2d" = 48h counted).

"Within 2 business days" is a promise about days, not hours: from the next open moment, the
same local time of day on the 2nd following open day. A day that closes before that time
counts to its close, and one that opens after it counts from its opening (so the target is
used up at the previous close). Examples on a Mon-Fri 09:00-17:00 calendar:

- opened Mon 10:00, 2bd -> due Wed 10:00 (16h of business time);
- opened Sat 11:00, 1bd -> the next open moment is Mon 09:00, due Tue 09:00;
- opened Wed 16:30, 1bd, Thursday special hours 08:00-12:00 -> due Thu 12:00, its close.

A target (`Target`) is either a business duration (a `timedelta`) or a `BusinessDays`
count; `business_amount` turns either into the business time a clock started at an instant
must count, so the clocks' arithmetic (pauses, inclusive deadlines) is the same for both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.calendar.business import SEARCH_LIMIT, BusinessCalendar, as_utc
from bot.units import plural

_BUSINESS_DAYS = re.compile(r"^\s*(\d+)\s*bd\s*$", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class BusinessDays:
    """A target of `count` business days (at least one)."""

    count: int

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"business days must be a whole number from 1, got {self.count!r}")

    def __str__(self) -> str:
        return f"{self.count}bd"

    @property
    def text(self) -> str:
        """ "1 business day", "2 business days"."""
        return plural(self.count, "business day")


Target = timedelta | BusinessDays


def parse_business_days(text: str) -> BusinessDays | None:
    """`"2bd"` -> BusinessDays(2); None if `text` is not written in business days.

    Raises ValueError for "0bd" (a target of no days is no target)."""
    match = _BUSINESS_DAYS.match(text)
    if match is None:
        return None
    return BusinessDays(int(match.group(1)))


def _local(calendar: BusinessCalendar, day: date, minute: int) -> datetime:
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    return wall.replace(tzinfo=calendar.zone).astimezone(UTC)


def add_business_days(calendar: BusinessCalendar, start: datetime, days: int) -> datetime:
    """The due instant of a `days` business-day target counted from `start` (see the module
    docstring). Raises ValueError if the calendar has too few open days within five years."""
    first = calendar.next_open(as_utc(start, "start"))
    local = first.astimezone(calendar.zone)
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        if day - local.date() > SEARCH_LIMIT:
            raise ValueError(
                f"calendar {calendar.name!r} has fewer than {days} open days in the five "
                f"years after {local:%Y-%m-%d}; check its closures and holidays"
            )
        if calendar.open_hours_on(day):
            counted += 1
    hours = calendar.open_hours_on(day)
    opens, closes = _local(calendar, day, hours[0][0]), _local(calendar, day, hours[-1][1])
    wanted = datetime.combine(day, local.time().replace(tzinfo=None)).replace(tzinfo=calendar.zone)
    return min(max(wanted.astimezone(UTC), opens), closes)


def business_amount(calendar: BusinessCalendar, start: datetime, target: Target) -> timedelta:
    """The business time a clock started at `start` may count and still meet `target`."""
    if isinstance(target, BusinessDays):
        return calendar.business_time_between(
            start, add_business_days(calendar, start, target.count)
        )
    return target
