"""Business calendars: when a support team is open, and business-time arithmetic over them.

SLA targets such as "first response within 4 business hours" only count time while the team
is open. A `BusinessCalendar` says when that is (weekly opening hours in the team's own time
zone, public holidays, extra closure dates) and converts between real instants and business
time.

Reference definition: a real minute [t, t+1min) is open iff, converted to the calendar's time
zone, its local date is neither a public holiday nor a closure date and its local wall-clock
minute lies inside one of that weekday's opening intervals. Business time is the real time
that is open. So a 00:00-24:00 calendar really has 23 hours on the spring-forward day and 25
on the autumn-back day (the repeated wall-clock hour counts twice).

All instants are timezone-aware `datetime`s (returned in UTC); naive ones raise ValueError.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import TypeGuard, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

MINUTES_PER_DAY = 1440

OpeningHours = tuple[tuple[int, int], ...]

# Give up looking for open time after this long, so a calendar closed "forever" by closures
# fails loudly instead of looping (the Frappe Helpdesk bug).
SEARCH_LIMIT = timedelta(days=5 * 366)

# UTC offsets are constant within each probe window unless we find a change; real zones never
# change offset twice within 6 hours.
_OFFSET_PROBE = timedelta(hours=6)
_ONE_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def as_utc(at: datetime, what: str = "instant") -> datetime:
    """Return `at` converted to UTC; raise ValueError if it is naive."""
    if not isinstance(at, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {at.isoformat()}")
    return at.astimezone(UTC)


def _is_minute(value: object) -> TypeGuard[int]:
    """A whole minute of the day as the policy writes it: an int, not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


@functools.lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    # One `holidays` lookup per (country, subdivision, year): building them is slow.
    found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return MappingProxyType(dict(found.items()))


@dataclass(frozen=True)
class BusinessCalendar:
    """A team's opening hours, public holidays and closures, in its own time zone.

    `weekly_hours` maps weekday (0=Mon..6=Sun) to sorted, non-overlapping
    (start_minute, end_minute) intervals of local wall-clock time, 0 <= start < end <= 1440
    (1440 is midnight at the end of the day). A missing weekday is closed all day.
    `closures` are extra local dates on which the team is closed.
    """

    name: str
    timezone: str
    weekly_hours: Mapping[int, OpeningHours]
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closures: frozenset[date] = frozenset()
    # Derived in __post_init__, not compared or shown.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _always_open: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(
                f"calendar {self.name!r}: unknown time zone {self.timezone!r}"
            ) from exc
        object.__setattr__(self, "_zone", zone)

        hours: dict[int, OpeningHours] = {}
        for weekday, intervals in dict(self.weekly_hours).items():
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ValueError(
                    f"calendar {self.name!r}: weekday must be 0 (Mon) to 6 (Sun), got {weekday!r}"
                )
            hours_today = tuple(self._checked_interval(weekday, pair) for pair in intervals)
            for (_, previous_end), (start, _) in itertools.pairwise(hours_today):
                if start < previous_end:
                    raise ValueError(
                        f"calendar {self.name!r}: {_WEEKDAY_NAMES[weekday]} opening hours "
                        f"{list(hours_today)} must be sorted and must not overlap"
                    )
            if hours_today:
                hours[weekday] = hours_today
        if not hours:
            raise ValueError(f"calendar {self.name!r} has no business hours")
        # A read-only copy, so callers cannot change opening hours behind our back.
        object.__setattr__(self, "weekly_hours", MappingProxyType(dict(sorted(hours.items()))))

        closures = frozenset(self.closures)
        for day in closures:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"calendar {self.name!r}: closure {day!r} must be a date")
        object.__setattr__(self, "closures", closures)

        if self.holiday_subdivision is not None and self.holiday_country is None:
            raise ValueError(
                f"calendar {self.name!r}: holiday subdivision {self.holiday_subdivision!r} "
                "given without a holiday country"
            )
        if self.holiday_country is not None:
            try:
                holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision)
            except NotImplementedError as exc:
                raise ValueError(
                    f"calendar {self.name!r}: no public holidays known for "
                    f"{self.holiday_country!r} (subdivision {self.holiday_subdivision!r}): {exc}"
                ) from exc

        always = (
            self.holiday_country is None
            and not closures
            and all(hours.get(day) == ((0, MINUTES_PER_DAY),) for day in range(7))
        )
        object.__setattr__(self, "_always_open", always)

    def _checked_interval(self, weekday: int, pair: object) -> tuple[int, int]:
        try:
            start, end = cast(Iterable[object], pair)
        except (TypeError, ValueError):
            raise ValueError(
                f"calendar {self.name!r}: opening interval {pair!r} must be (start, end) minutes"
            ) from None
        if not (_is_minute(start) and _is_minute(end)):
            raise ValueError(
                f"calendar {self.name!r}: opening interval {pair!r} must use whole minutes"
            )
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(
                f"calendar {self.name!r}: {_WEEKDAY_NAMES[weekday]} opening interval "
                f"({start}, {end}) needs 0 <= start < end <= {MINUTES_PER_DAY}"
            )
        return (start, end)

    def __hash__(self) -> int:
        return hash(
            (
                self.name,
                self.timezone,
                tuple(self.weekly_hours.items()),
                self.holiday_country,
                self.holiday_subdivision,
                self.closures,
            )
        )

    @classmethod
    def always_open(cls, name: str, timezone: str = "UTC") -> BusinessCalendar:
        """A 24/7 calendar with no holidays, for plans whose clocks never stop."""
        return cls(name, timezone, dict.fromkeys(range(7), ((0, MINUTES_PER_DAY),)))

    @property
    def is_24_7(self) -> bool:
        """True if every real minute is business time (no closed hours, holidays or closures)."""
        return self._always_open

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return self._zone

    def closure_reason(self, day: date) -> str | None:
        """Why the team is closed all of local `day` (holiday name or "closure"), else None."""
        if self.holiday_country is not None:
            holiday = _public_holidays(self.holiday_country, self.holiday_subdivision, day.year)
            if day in holiday:
                return holiday[day]
        if day in self.closures:
            return "closure"
        return None

    def is_open(self, at: datetime) -> bool:
        """Whether the team is open at instant `at`."""
        local = as_utc(at).astimezone(self.zone)
        if self.closure_reason(local.date()) is not None:
            return False
        minute = local.hour * 60 + local.minute
        return any(
            start <= minute < end for start, end in self.weekly_hours.get(local.weekday(), ())
        )

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Yield the maximal open stretches within [start, end), in UTC, earliest first."""
        start, end = as_utc(start, "start"), as_utc(end, "end")
        current: tuple[datetime, datetime] | None = None
        for piece_start, piece_end in self._open_pieces(start, end):
            if current is not None and current[1] == piece_start:
                # Pieces split at midnight or at offset changes belong to one stretch.
                current = (current[0], piece_end)
                continue
            if current is not None:
                yield current
            current = (piece_start, piece_end)
        if current is not None:
            yield current

    def add_business_time(self, start: datetime, delta: timedelta) -> datetime:
        """The instant at which `delta` of business time has elapsed, counting from `start`.

        Returns the earliest such instant (so it may be the end of an open stretch).
        Raises ValueError if the calendar has no open time within five years.
        """
        start = as_utc(start, "start")
        if delta < timedelta(0):
            raise ValueError(f"business time to add must not be negative, got {delta}")
        if not delta:
            return start
        if self.is_24_7:
            return start + delta
        remaining = delta
        for piece_start, piece_end in self._open_pieces(start, None):
            length = piece_end - piece_start
            if remaining <= length:
                return piece_start + remaining
            remaining -= length
        raise AssertionError("unbounded search ended")  # pragma: no cover

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time within [start, end); zero if `end` is not after `start`."""
        start, end = as_utc(start, "start"), as_utc(end, "end")
        if end <= start:
            return timedelta(0)
        if self.is_24_7:
            return end - start
        total = timedelta(0)
        for piece_start, piece_end in self._open_pieces(start, end):
            total += piece_end - piece_start
        return total

    def closed_days(self, start: datetime, end: datetime) -> list[tuple[date, str]]:
        """Local dates touching [start, end) that would have had opening hours but were skipped
        for a public holiday (its name) or a closure ("closure"), to explain SLA arithmetic."""
        start, end = as_utc(start, "start"), as_utc(end, "end")
        if end <= start:
            return []
        day = start.astimezone(self.zone).date()
        last_day = (end - _TICK).astimezone(self.zone).date()
        skipped: list[tuple[date, str]] = []
        while day <= last_day:
            if self.weekly_hours.get(day.weekday()):
                reason = self.closure_reason(day)
                if reason is not None:
                    skipped.append((day, reason))
            day += _ONE_DAY
        return skipped

    def next_open(self, at: datetime) -> datetime:
        """`at` if the team is open then, else the start of the next open stretch."""
        at = as_utc(at, "at")
        for piece_start, _ in self._open_pieces(at, None):
            return piece_start
        raise AssertionError("unbounded search ended")  # pragma: no cover

    def _offset_runs(
        self, start: datetime, end: datetime | None
    ) -> Iterator[tuple[datetime, datetime, timedelta]]:
        """Split [start, end) (end None = forever) into UTC runs with a constant UTC offset."""
        zone = self.zone
        run_start = start
        while end is None or run_start < end:
            offset = run_start.astimezone(zone).utcoffset()
            assert offset is not None
            probe = run_start + _OFFSET_PROBE
            if end is not None and probe > end:
                probe = end
            if probe.astimezone(zone).utcoffset() != offset:
                # Binary-search the DST change to the microsecond, so arithmetic stays exact.
                low = run_start
                while probe - low > _TICK:
                    middle = low + (probe - low) / 2
                    if middle.astimezone(zone).utcoffset() == offset:
                        low = middle
                    else:
                        probe = middle
            yield run_start, probe, offset
            run_start = probe

    def _open_pieces(
        self, start: datetime, end: datetime | None
    ) -> Iterator[tuple[datetime, datetime]]:
        """Yield open pieces within [start, end) in order, walking local days.

        Pieces may touch (at midnight or DST changes); `open_intervals` merges them. With no
        `end`, raise ValueError after SEARCH_LIMIT without any open time.
        """
        last_open = start
        for run_start, run_end, offset in self._offset_runs(start, end):
            if end is None and run_start - last_open > SEARCH_LIMIT:
                raise ValueError(
                    f"calendar {self.name!r} has no open business time in the five years after "
                    f"{last_open:%Y-%m-%d %H:%M} UTC; check its closures and holidays"
                )
            # Within a run, local wall-clock time is just UTC plus a fixed offset.
            local_start = (run_start + offset).replace(tzinfo=None)
            local_end = (run_end + offset).replace(tzinfo=None)
            day = local_start.date()
            last_day = (local_end - _TICK).date()
            while day <= last_day:
                opening_hours = self.weekly_hours.get(day.weekday())
                if opening_hours and self.closure_reason(day) is None:
                    midnight = datetime.combine(day, time())
                    for open_minute, close_minute in opening_hours:
                        open_from = max(midnight + timedelta(minutes=open_minute), local_start)
                        open_until = min(midnight + timedelta(minutes=close_minute), local_end)
                        if open_from < open_until:
                            last_open = (open_until - offset).replace(tzinfo=UTC)
                            yield (open_from - offset).replace(tzinfo=UTC), last_open
                day += _ONE_DAY
