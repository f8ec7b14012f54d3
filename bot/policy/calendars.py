"""Reading the policy's calendars: `[calendars.NAME]` with weekly hours, holidays, closures
(whole days or `{date, from, to, reason}`) and `[calendars.NAME.special]` hours, and SLA
targets in business time or business days (`"2bd"`); errors name the file, key and line.

Split from `bot.policy.loader` (same `Key` rows, same `Reader`); the rules themselves are in
`bot.calendar`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.calendar.business import BusinessCalendar, Closure, SpecialHours
from bot.calendar.business_days import Target, parse_business_days
from bot.policy.reader import REQUIRED, Key, KeyPath, Reader, as_given, optional, read_keys

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_GROUPS = {"weekdays": WEEKDAYS[:5], "weekends": WEEKDAYS[5:], "daily": WEEKDAYS}
Shifts = tuple[tuple[int, int], ...]

CALENDAR = (
    Key("timezone", None, optional(Reader.timezone)),  # default: the provider's
    Key("hours", "24/7", lambda reader, value, path: _weekly_hours(reader, value, path)),
    Key("closures", [], lambda reader, value, path: _closures(reader, value, path)),
    Key("special", {}, lambda reader, value, path: _special(reader, value, path)),
    Key("holidays", None, optional(lambda r, v, p: r.string(v, p).upper())),
    Key("subdivision", None, as_given),  # checked with the country by BusinessCalendar
)

# --- calendars ------------------------------------------------------------------------------

CLOSURE = (
    Key("date", REQUIRED, lambda reader, value, path: _date(reader, value, path)),
    Key("from", "00:00", Reader.string),
    Key("to", "24:00", Reader.string),
    Key("reason", "closure", Reader.string),
)
SPECIAL = (
    Key("hours", REQUIRED, lambda reader, value, path: _shifts(reader, value, path)),
    Key("reason", None, optional(Reader.string)),
)
_SHIFT = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)$", re.ASCII)


def _shifts(reader: Reader, value: Any, path: KeyPath) -> Shifts:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise reader.fail(path, 'must be "HH:MM-HH:MM", a list of them, or "closed"')
    shifts = []
    for item in items:
        if not isinstance(item, str):
            raise reader.fail(path, 'must be "HH:MM-HH:MM", a list of them, or "closed"')
        if item.strip().lower() == "closed":
            continue
        for part in item.split(","):
            match = _SHIFT.match(part.strip())
            if not match:
                raise reader.fail(path, f'{part.strip()!r} is not a shift like "08:00-18:00"')
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if start >= end or end > 1440:
                raise reader.fail(path, f"{part.strip()!r} must end after it starts (max 24:00)")
            shifts.append((start, end))
    shifts.sort()
    for (_, end), (start, _) in zip(shifts, shifts[1:], strict=False):
        if start < end:
            raise reader.fail(path, "shifts overlap")
    return tuple(shifts)


def _weekly_hours(reader: Reader, value: Any, path: KeyPath) -> dict[int, Shifts]:
    if isinstance(value, str) and value.strip().lower() in {"24/7", "always"}:
        return {day: ((0, 1440),) for day in range(7)}
    hours = reader.table(value, path, {*WEEKDAYS, *DAY_GROUPS})
    weekly: dict[int, Shifts] = {}
    # Groups first so a single day can override its group.
    for key in sorted(hours, key=lambda k: k in WEEKDAYS):
        shifts = _shifts(reader, hours[key], (*path, key))
        for day in DAY_GROUPS.get(key, (key,)):
            weekly[WEEKDAYS.index(day)] = shifts
    return {day: shifts for day, shifts in weekly.items() if shifts}


def read_target(reader: Reader, value: Any, path: KeyPath) -> Target:
    """A target in business time ("8h", "2d" = 48 business hours) or days ("2bd")."""
    try:
        days = parse_business_days(value) if isinstance(value, str) else None
    except ValueError:
        raise reader.fail(path, "must be at least 1 business day") from None
    return days if days is not None else reader.duration(value, path)


def _date(reader: Reader, raw: Any, path: KeyPath) -> date:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise reader.fail(path, f"{raw!r} is not a date (YYYY-MM-DD)") from None


def _closures(reader: Reader, value: Any, path: KeyPath) -> tuple[date | Closure, ...]:
    """Whole days ("2026-12-24") or `{date, from, to, reason}` for part of one (`from` and
    `to` default to the day's start and end, `reason` to "closure")."""
    if not isinstance(value, list):
        raise reader.fail(path, 'must be a list of dates or { date = "YYYY-MM-DD", ... }')
    closures: list[date | Closure] = []
    for raw in value:
        if not isinstance(raw, dict):
            closures.append(_date(reader, raw, path))
            continue
        item = read_keys(reader, raw, path, CLOSURE, "each closure table needs a `date`")
        shift = f"{item['from']}-{item['to']}"
        [(start, end)] = _shifts(reader, shift, path) or [(0, 0)]
        closures.append(Closure(item["date"], start, end, item["reason"]))
    return tuple(closures)


def _special(reader: Reader, value: Any, path: KeyPath) -> tuple[SpecialHours, ...]:
    """`"2026-12-24" = ["08:00-12:00"]`, or `{ hours = [...], reason = "Christmas Eve" }`."""
    specials = []
    for key, raw in reader.table(value, path, set(value or ())).items():
        day = _date(reader, key, (*path, key))
        item = raw if isinstance(raw, dict) else {"hours": raw}
        data = read_keys(reader, item, (*path, key), SPECIAL, "needs `hours`")
        specials.append(SpecialHours(day, data["hours"], data["reason"]))
    return tuple(specials)


def _calendar(reader: Reader, name: str, value: Any, default_tz: ZoneInfo) -> BusinessCalendar:
    path = ("calendars", name)
    data = read_keys(reader, value, path, CALENDAR)
    closures = data["closures"]
    try:
        return BusinessCalendar(
            name=name,
            timezone=(data["timezone"] or default_tz).key,
            weekly_hours=data["hours"],
            holiday_country=data["holidays"],
            holiday_subdivision=data["subdivision"],
            closures=frozenset(day for day in closures if not isinstance(day, Closure)),
            closed_hours=tuple(day for day in closures if isinstance(day, Closure)),
            special_hours=data["special"],
        )
    except ValueError as exc:
        raise reader.fail(path, str(exc)) from None


def read_calendars(reader: Reader, value: Any, default_tz: ZoneInfo) -> dict[str, BusinessCalendar]:
    value = value or {}
    if not isinstance(value, dict):
        raise reader.fail(("calendars",), "must be a table of calendars")
    calendars = {name: _calendar(reader, name, data, default_tz) for name, data in value.items()}
    calendars.setdefault("24/7", BusinessCalendar.always_open("24/7", default_tz.key))
    return calendars
