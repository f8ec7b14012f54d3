"""One parser for what people type: durations, dates, times, money and Slack mentions.

Every command and the policy file go through these functions, so `90m`, `1h30m`, `1.5h`
and `1:30` mean the same thing everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.dates import DATE_HINT as DATE_HINT
from bot.dates import DATE_ORDERS as DATE_ORDERS
from bot.dates import MAX_DAYS_BACK as MAX_DAYS_BACK
from bot.dates import PLAUSIBLE_YEARS as PLAUSIBLE_YEARS
from bot.dates import check_days_back as check_days_back
from bot.dates import date_length as date_length
from bot.dates import looks_like_date as looks_like_date
from bot.dates import parse_date as parse_date
from bot.dates import parse_day_words as parse_day_words
from bot.dates import take_date as take_date
from bot.errors import InputError as InputError
from bot.text import parse_decimal

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# The unit words people type, each to its letter: `90min`, `2 hours`, `30 mins`, `1hr`.
UNIT_WORDS = {
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
}
_PART = re.compile(r"(\d+(?:\.\d+)?)([a-z]*)", re.ASCII)
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_BARE_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$", re.ASCII)
_CLOCK = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$", re.ASCII)


def _duration_parts(raw: str) -> list[tuple[str, str]] | None:
    """`1h30m` -> [("1", "h"), ("30", "m")]; `1h30` -> [("1", "h"), ("30", "m")]: a number
    after hours with no unit is minutes. None when the text is not parts in d-h-m-s order."""
    parts, position = [], 0
    for match in _PART.finditer(raw):
        if match.start() != position:
            return None
        number, word = match.groups()
        unit = UNIT_WORDS.get(word) if word else None
        if word and unit is None:
            return None
        parts.append((number, unit or ""))
        position = match.end()
    if position != len(raw) or not parts:
        return None
    if parts[-1][1] == "":
        if len(parts) < 2 or parts[-2][1] != "h" or "." in parts[-1][0]:
            return None
        parts[-1] = (parts[-1][0], "m")
    units = [unit for _, unit in parts]
    order = "dhms"
    if any(order.index(a) >= order.index(b) for a, b in zip(units, units[1:], strict=False)):
        return None
    if any(unit == "s" and "." in number for number, unit in parts):
        return None
    return parts


def parse_duration(text: str) -> timedelta:
    """`90m`, `1h30m`, `1h30`, `1h 30m`, `1.5h`, `1,5h`, `90min`, `2 hours`, `1:30`, `2d`,
    `45s` -> timedelta (whole seconds).

    Raises InputError for anything else, including negative or empty input; a bare number is
    refused with the hint to give its unit.
    """
    raw = _DECIMAL_COMMA.sub(".", text.strip().lower().replace(" ", ""))
    if not raw:
        raise InputError("a duration is missing")
    clock = _CLOCK.match(raw)
    if clock:
        hours, minutes, seconds = clock.group(1), clock.group(2), clock.group(3) or "0"
        return timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds))
    if _BARE_NUMBER.match(raw):
        raise InputError(f"{text.strip()} what? Try {text.strip()}m")
    parts = _duration_parts(raw)
    if parts is None:
        raise InputError(f"`{text}` is not a duration (try 90m, 1h30m, 1.5h or 1:30)")
    total = sum(Decimal(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    try:
        return timedelta(seconds=int(Decimal(total).to_integral_value()))
    except OverflowError:
        raise InputError(f"`{text}` is far too long a duration") from None


def take_duration(tokens: Sequence[str]) -> tuple[timedelta, int]:
    """A duration from the front of `tokens`, as typed: one token (`90m`, `1h30`) or more
    (`1h 30m`, `2 hours`, `30 mins`, `1 hour 30 minutes`, `1h 1m 01s`). Returns it and how
    many tokens it used. A further token joins only when it carries its unit, so
    `/log 1h 30 acme` never reads 30 as minutes."""
    if not tokens:
        raise InputError("a duration is missing")
    joined, used = tokens[0], 1
    if len(tokens) >= 2 and _BARE_NUMBER.match(joined) and tokens[1].lower() in UNIT_WORDS:
        joined, used = joined + tokens[1].lower(), 2  # `2 hours`
    while used < len(tokens) and _duration_parts(_normal(joined)) is not None:
        word = tokens[used].lower()
        if _BARE_NUMBER.match(word):  # `1 hour 30 minutes`
            unit = tokens[used + 1].lower() if used + 1 < len(tokens) else ""
            candidate, extra = joined + word + unit, 2
            if unit not in UNIT_WORDS:
                break
        elif word[:1].isdigit():  # `1h 30m`
            candidate, extra = joined + word, 1
        else:
            break
        if _duration_parts(_normal(candidate)) is None:
            break
        joined, used = candidate, used + extra
    return parse_duration(joined), used


def _normal(text: str) -> str:
    return _DECIMAL_COMMA.sub(".", text.lower())


def format_duration(value: timedelta | int, *, seconds: bool = False) -> str:
    """`1h 30m`, `35m`, `2h`; with seconds=True `14m 05s`. Ints are minutes."""
    total = int(value.total_seconds()) if isinstance(value, timedelta) else int(value) * 60
    sign = "-" if total < 0 else ""
    total = abs(total)
    if not seconds:
        total = (total + 30) // 60 * 60 if total % 60 else total
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes or (not hours and not (seconds and secs)):
        parts.append(f"{minutes}m")
    if seconds and secs:
        parts.append(f"{secs:02d}s" if parts else f"{secs}s")
    return sign + " ".join(parts)


def parse_money(text: str) -> Decimal:
    try:
        amount = parse_decimal(str(text), "an amount of money")  # ASCII digits only
    except InputError:
        raise InputError(f"`{text}` is not an amount of money") from None
    return amount.quantize(Decimal("0.01"))


_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$", re.ASCII)
_AMPM = re.compile(r"^(1[0-2]|0?[1-9])(?::([0-5]\d))?([ap])\.?m\.?$", re.ASCII)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$", re.ASCII)


def parse_month(text: str) -> tuple[int, int]:
    match = _MONTH.match(text.strip())
    if not match:
        raise InputError(f"`{text}` is not a month (use YYYY-MM)")
    year = int(match.group(1))
    if not PLAUSIBLE_YEARS[0] <= year <= PLAUSIBLE_YEARS[1]:
        raise InputError(f"`{text}` is not a plausible month (check the year)")
    return year, int(match.group(2))


def parse_clock_time(text: str) -> time:
    """`15:00`, `9:30`, `3pm`, `3:30pm`, `11 a.m.` -> a time of day."""
    word = text.strip().lower().replace(" ", "")
    match = _HHMM.match(word)
    if match:
        return time(int(match.group(1)), int(match.group(2)))
    ampm = _AMPM.match(word)
    if ampm:
        hour = int(ampm.group(1)) % 12 + (12 if ampm.group(3) == "p" else 0)
        return time(hour, int(ampm.group(2) or 0))
    raise InputError(f"`{text}` is not a time of day (use 15:00, 3pm or 3:30pm)")


def local_to_utc(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """A wall-clock time in `tz` as a UTC instant; refuses times the clocks skip over."""
    naive = datetime.combine(day, clock)
    aware = naive.replace(tzinfo=tz)
    round_trip = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        raise InputError(
            f"{day.isoformat()} {clock:%H:%M} does not exist in {tz.key} (the clocks go forward)"
        )
    return aware.astimezone(UTC)


def parse_datetime(
    tokens: list[str], tz: ZoneInfo, now: datetime, *, order: str = "DMY", ahead: bool = False
) -> tuple[datetime, int]:
    """Read `YYYY-MM-DD HH:MM`, `today 3pm`, `27 Nov 15:00` or `tomorrow HH:MM` from the front
    of `tokens`.

    Returns the UTC instant and how many tokens were used.
    """
    if len(tokens) < 2:
        raise InputError("a date and time are missing (use YYYY-MM-DD HH:MM or tomorrow HH:MM)")
    today = now.astimezone(tz).date()
    taken = take_date(tokens, today, order=order, ahead=ahead)
    day, used = taken if taken is not None else (parse_date(tokens[0], today), 1)
    if len(tokens) <= used:
        raise InputError("a time is missing after the date (use HH:MM or 3pm)")
    clock = parse_clock_time(tokens[used])
    return local_to_utc(day, clock, tz), used + 1


def month_bounds(year: int, month: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The calendar month in `tz` as a half-open UTC range."""
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class Mention:
    """A Slack reference as it arrives in a slash command with escaping on: `<@U1|jane>`."""

    kind: str  # "user", "channel" or "group"
    id: str
    label: str


_MENTION = re.compile(r"^<([@#!])([A-Z0-9^a-z]+)(?:\|([^>]*))?>$")


def parse_mention(token: str) -> Mention | None:
    match = _MENTION.match(token)
    if not match:
        return None
    sigil, ident, label = match.groups()
    if sigil == "!":
        if not ident.startswith("subteam^"):
            return None
        return Mention("group", ident.split("^", 1)[1], (label or "").lstrip("@"))
    return Mention("user" if sigil == "@" else "channel", ident, label or "")


_RECORD_ID = re.compile(r"^#?([0-9]{1,18})$")
MAX_RECORD_ID = 2**31 - 1  # ids are 32-bit integers in the database


def parse_record_id(text: str, what: str) -> int:
    """A booking's or ticket's id as typed: `#12` or `12` (ASCII digits only).

    An id larger than the database can hold cannot exist, so it is refused as unknown here
    rather than reaching a query that would fail.
    """
    match = _RECORD_ID.match(text.strip())
    if not match:
        raise InputError(f"`{text}` is not a {what} id (like #12)")
    number = int(match.group(1))
    if number > MAX_RECORD_ID:
        raise InputError(f"there is no {what} #{number}")
    return number


_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def parse_name(token: str, what: str = "customer") -> str:
    """Customer and caller names: one lower-case token of letters, digits, `.`, `_`, `-`."""
    name = token.strip().lower()
    if not _NAME.match(name):
        raise InputError(f"`{token}` is not a valid {what} name (letters, digits, . _ -)")
    return name


def split_options(tokens: list[str]) -> tuple[list[str], dict[str, str]]:
    """Separate `key=value` options from positional words."""
    positional, options = [], {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and key and key.isidentifier():
            if key in options:
                raise InputError(f"`{key}=` is given twice")
            options[key.lower()] = value
        else:
            positional.append(token)
    return positional, options
