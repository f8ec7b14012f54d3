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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from bot.calendar.days import (
    MINUTES_PER_DAY,
    WHOLE_DAY_CLOSURE,
    Closure,
    OpeningHours,
    Piece,
    SpecialHours,
    checked_hours,
    open_hours,
    plan_day,
    weekday_name,
)

__all__ = ["MINUTES_PER_DAY", "BusinessCalendar", "Closure", "OpeningHours", "SpecialHours"]

# Give up looking for open time after this long, so a calendar closed "forever" by closures
# fails loudly instead of looping (the Frappe Helpdesk bug).
SEARCH_LIMIT = timedelta(days=5 * 366)

# UTC offsets are constant within each probe window unless we find a change; real zones never
# change offset twice within 6 hours.
_OFFSET_PROBE = timedelta(hours=6)
_ONE_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)


def as_utc(at: datetime, what: str = "instant") -> datetime:
    """Return `at` converted to UTC; raise ValueError if it is naive."""
    if not isinstance(at, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {at.isoformat()}")
    return at.astimezone(UTC)


def _on(special: SpecialHours) -> date:
    return special.day


@functools.lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    # One `holidays` lookup per (country, subdivision, year): building them is slow.
    found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return MappingProxyType(dict(found.items()))


@dataclass(frozen=True)
class BusinessCalendar:
    """A team's opening hours, public holidays, closures and special hours, in its own zone.

    `weekly_hours` maps weekday (0=Mon..6=Sun) to sorted, non-overlapping
    (start_minute, end_minute) intervals of local wall-clock time, 0 <= start < end <= 1440
    (1440 is midnight at the end of the day). A missing weekday is closed all day.
    `closures` are extra local dates on which the team is closed; `closed_hours` close all or
    part of one date with a reason, and `special_hours` replace the week's hours on a date
    (`bot.calendar.days` has the order in which they apply).
    """

    name: str
    timezone: str
    weekly_hours: Mapping[int, OpeningHours]
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closures: frozenset[date] = frozenset()
    closed_hours: tuple[Closure, ...] = ()
    special_hours: tuple[SpecialHours, ...] = ()
    # Derived in __post_init__, not compared or shown.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _always_open: bool = field(init=False, repr=False, compare=False)
    _exceptions: Mapping[date, tuple[SpecialHours | None, tuple[Closure, ...]]] = field(
        init=False, repr=False, compare=False
    )

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
            hours_today = checked_hours(self.name, weekday_name(weekday), intervals)
            if hours_today:
                hours[weekday] = hours_today
        if not hours:
            raise ValueError(f"calendar {self.name!r} has no business hours")
        # A read-only copy, so callers cannot change opening hours behind our back.
        object.__setattr__(self, "weekly_hours", MappingProxyType(dict(sorted(hours.items()))))
        self._check_exceptions()
        self._check_holidays()

        always = (
            self.holiday_country is None
            and not self._exceptions
            and all(hours.get(day) == ((0, MINUTES_PER_DAY),) for day in range(7))
        )
        object.__setattr__(self, "_always_open", always)

    def _check_exceptions(self) -> None:
        """Check closures and special hours, and index them by date."""
        closures = frozenset(self.closures)
        for day in closures:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"calendar {self.name!r}: closure {day!r} must be a date")
        object.__setattr__(self, "closures", closures)
        closed_hours = tuple(sorted(self.closed_hours, key=lambda c: (c.day, c.start, c.end)))
        specials: dict[date, SpecialHours] = {}
        for special in self.special_hours:
            special = SpecialHours(special.day, special.check(self.name), special.reason)
            if special.day in specials:
                raise ValueError(f"calendar {self.name!r}: two special hours on {special.day}")
            specials[special.day] = special
        closings: dict[date, list[Closure]] = {}
        for closure in closed_hours:
            closure.check(self.name)
            closings.setdefault(closure.day, []).append(closure)
        for day in closures:
            closings.setdefault(day, []).append(Closure(day))
        object.__setattr__(self, "closed_hours", closed_hours)
        object.__setattr__(self, "special_hours", tuple(sorted(specials.values(), key=_on)))
        exceptions = {
            day: (specials.get(day), tuple(closings.get(day, ()))) for day in {*specials, *closings}
        }
        object.__setattr__(self, "_exceptions", MappingProxyType(exceptions))

    def _check_holidays(self) -> None:
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

    def __hash__(self) -> int:
        return hash(
            (
                self.name,
                self.timezone,
                tuple(self.weekly_hours.items()),
                self.holiday_country,
                self.holiday_subdivision,
                self.closures,
                self.closed_hours,
                self.special_hours,
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

    def holiday_name(self, day: date) -> str | None:
        """The public holiday on local `day`, if any."""
        if self.holiday_country is None:
            return None
        return _public_holidays(self.holiday_country, self.holiday_subdivision, day.year).get(day)

    def day_pieces(self, day: date) -> tuple[Piece, ...]:
        """Local `day` as (start, end, reason) minutes covering the day: reason None where
        open, else why closed (holiday, closure, special hours, weekend, outside hours)."""
        special, closings = self._exceptions.get(day, (None, ()))
        week = self.weekly_hours.get(day.weekday(), ())
        return plan_day(day, week, self.holiday_name(day), special, closings)

    def special_on(self, day: date) -> SpecialHours | None:
        """The special hours that replace the week's on local `day`, if any."""
        return self._exceptions.get(day, (None, ()))[0]

    def open_hours_on(self, day: date) -> OpeningHours:
        """The opening hours of local `day`, after holidays, closures and special hours."""
        if day in self._exceptions:
            return open_hours(self.day_pieces(day))
        if self.holiday_name(day) is not None:
            return ()
        return self.weekly_hours.get(day.weekday(), ())

    def closure_reason(self, day: date) -> str | None:
        """Why the team is closed all of local `day` although it has opening hours that
        weekday (a holiday's name, "closure", a closure's reason or special hours), else
        None."""
        special = self.special_on(day)
        usual = special.hours if special is not None else self.weekly_hours.get(day.weekday())
        if self.open_hours_on(day) or not (usual or special):
            return None
        [(_, _, reason)] = self.day_pieces(day)
        if reason in ("weekend", "not a working day"):
            return None
        return reason or WHOLE_DAY_CLOSURE

    def is_open(self, at: datetime) -> bool:
        """Whether the team is open at instant `at`."""
        local = as_utc(at).astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.open_hours_on(local.date()))

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
                midnight = datetime.combine(day, time())
                for open_minute, close_minute in self.open_hours_on(day):
                    open_from = max(midnight + timedelta(minutes=open_minute), local_start)
                    open_until = min(midnight + timedelta(minutes=close_minute), local_end)
                    if open_from < open_until:
                        last_open = (open_until - offset).replace(tzinfo=UTC)
                        yield (open_from - offset).replace(tzinfo=UTC), last_open
                day += _ONE_DAY
