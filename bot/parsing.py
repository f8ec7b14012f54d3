"""One parser for what people type: durations, dates, times, money and Slack mentions.

Every command and the policy file go through these functions, so `90m`, `1h30m`, `1.5h`
and `1:30` mean the same thing everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.errors import InputError as InputError
from bot.text import parse_decimal

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_COMPOUND = re.compile(
    r"^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+)s)?$", re.ASCII
)
_CLOCK = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$", re.ASCII)


def parse_duration(text: str) -> timedelta:
    """`90m`, `1h30m`, `1.5h`, `1:30`, `2d`, `45s` -> timedelta (whole seconds).

    Raises InputError for anything else, including negative or empty input.
    """
    raw = text.strip().lower().replace(" ", "")
    if not raw:
        raise InputError("a duration is missing")
    clock = _CLOCK.match(raw)
    if clock:
        hours, minutes, seconds = clock.group(1), clock.group(2), clock.group(3) or "0"
        return timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds))
    match = _COMPOUND.match(raw)
    if not match or not any(match.groups()):
        raise InputError(f"`{text}` is not a duration (try 90m, 1h30m, 1.5h or 1:30)")
    total = Decimal(0)
    for value, unit in zip(match.groups(), "dhms", strict=True):
        if value is not None:
            total += Decimal(value) * _UNIT_SECONDS[unit]
    try:
        return timedelta(seconds=int(total.to_integral_value()))
    except OverflowError:
        raise InputError(f"`{text}` is far too long a duration") from None


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


# A typo such as 0202-11-20 or 9999-12 is refused rather than billed where nobody looks
# (and calendar arithmetic at year 9999 overflows).
PLAUSIBLE_YEARS = (1970, 2999)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$", re.ASCII)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$", re.ASCII)


def parse_date(text: str, today: date) -> date:
    """`YYYY-MM-DD`, `today`, `yesterday`, `tomorrow` -> date (`today` is the caller's local date)."""
    word = text.strip().lower()
    relative = {"today": 0, "yesterday": -1, "tomorrow": 1}
    if word in relative:
        return today + timedelta(days=relative[word])
    if _ISO_DATE.match(word):
        try:
            typed = date.fromisoformat(word)
        except ValueError:
            pass
        else:
            if PLAUSIBLE_YEARS[0] <= typed.year <= PLAUSIBLE_YEARS[1]:
                return typed
            raise InputError(f"`{text}` is not a plausible date (check the year)")
    raise InputError(f"`{text}` is not a date (use YYYY-MM-DD, today, yesterday or tomorrow)")


def parse_month(text: str) -> tuple[int, int]:
    match = _MONTH.match(text.strip())
    if not match:
        raise InputError(f"`{text}` is not a month (use YYYY-MM)")
    year = int(match.group(1))
    if not PLAUSIBLE_YEARS[0] <= year <= PLAUSIBLE_YEARS[1]:
        raise InputError(f"`{text}` is not a plausible month (check the year)")
    return year, int(match.group(2))


def parse_clock_time(text: str) -> time:
    match = _HHMM.match(text.strip())
    if not match:
        raise InputError(f"`{text}` is not a time of day (use HH:MM, 24-hour)")
    return time(int(match.group(1)), int(match.group(2)))


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


def parse_datetime(tokens: list[str], tz: ZoneInfo, now: datetime) -> tuple[datetime, int]:
    """Read `YYYY-MM-DD HH:MM`, `today HH:MM` or `tomorrow HH:MM` from the front of `tokens`.

    Returns the UTC instant and how many tokens were used.
    """
    if len(tokens) < 2:
        raise InputError("a date and time are missing (use YYYY-MM-DD HH:MM or tomorrow HH:MM)")
    today = now.astimezone(tz).date()
    day = parse_date(tokens[0], today)
    clock = parse_clock_time(tokens[1])
    return local_to_utc(day, clock, tz), 2


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
