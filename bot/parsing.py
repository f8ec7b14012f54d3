"""One parser for what people type: durations, dates, times, money and Slack mentions.

Every command and the policy file go through these functions, so `90m`, `1h30m`, `1.5h`
and `1:30` mean the same thing everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from bot.errors import InputError as InputError

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
    """A duration from the front of `tokens`, as typed: one token (`90m`, `1h30`) or two
    (`1h 30m`, `2 hours`, `30 mins`). Returns it and how many tokens it used. A second token
    joins only when it carries a unit, so `/log 1h 30 acme` never reads 30 as minutes."""
    if not tokens:
        raise InputError("a duration is missing")
    if len(tokens) >= 2 and _PART.match(tokens[1].lower()) is None:
        word = tokens[1].lower()
        if word in UNIT_WORDS and _BARE_NUMBER.match(tokens[0]):
            return parse_duration(tokens[0] + word), 2
    elif len(tokens) >= 2 and not _BARE_NUMBER.match(tokens[1]):
        parts = _duration_parts(_DECIMAL_COMMA.sub(".", tokens[1].lower()))
        first = _DECIMAL_COMMA.sub(".", tokens[0].lower())
        if parts is not None and _duration_parts(first) is not None:
            joined = _duration_parts(first + tokens[1].lower())
            if joined is not None:
                return parse_duration(first + tokens[1].lower()), 2
    return parse_duration(tokens[0]), 1


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
        amount = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise InputError(f"`{text}` is not an amount of money") from exc
    if not amount.is_finite() or amount < 0:
        raise InputError(f"`{text}` is not an amount of money")
    return amount.quantize(Decimal("0.01"))


# A typo such as 0202-11-20 or 9999-12 is refused rather than billed where nobody looks
# (and calendar arithmetic at year 9999 overflows).
PLAUSIBLE_YEARS = (1970, 2999)
# How far back work may be recorded, the same for every command (/log, /call, /hourglass
# hours add): a typo'd year must not bill a month nobody looks at.
MAX_DAYS_BACK = 366
DATE_ORDERS = ("DMY", "MDY", "YMD")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMERIC_DATE = re.compile(r"^(\d{1,4})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?$", re.ASCII)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_AMPM = re.compile(r"^(1[0-2]|0?[1-9])(?::([0-5]\d))?([ap])\.?m\.?$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_RELATIVE = {"today": 0, "yesterday": -1, "tomorrow": 1}
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATE_HINT = "use YYYY-MM-DD, 27 Nov, today, yesterday or a weekday"


def _named(word: str, names: tuple[str, ...]) -> int | None:
    """The index of `word` among `names`, by the full name or its first three letters (plus
    `sept`, `tues`, `thur`, `thurs`, `weds`)."""
    word = word.rstrip(".,")
    for index, name in enumerate(names):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return index
    return None


def _plausible(year: int, text: str) -> None:
    if not PLAUSIBLE_YEARS[0] <= year <= PLAUSIBLE_YEARS[1]:
        raise InputError(f"`{text}` is not a plausible date (check the year)")


def _build(year: int, month: int, day: int, text: str) -> date:
    _plausible(year, text)
    try:
        return date(year, month, day)
    except ValueError:
        raise InputError(f"`{text}` is not a date ({DATE_HINT})") from None


def _nearest(month: int, day: int, today: date, text: str) -> date:
    """A date typed without its year: the one nearest today (27 Dec typed on 2 Jan is last
    year's); the reply shows the year whenever it is not this one."""
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:  # 29 Feb
            continue
    if not candidates:
        raise InputError(f"`{text}` is not a date ({DATE_HINT})")
    return min(candidates, key=lambda d: (abs((d - today).days), d))


def _numeric(match: re.Match[str], order: str, today: date, text: str) -> date:
    first, second, third = match.groups()
    if len(first) == 4 or order == "YMD":
        if third is None or len(first) != 4:
            raise InputError(f"`{text}` is not a date (use YYYY/MM/DD)")
        return _build(int(first), int(second), int(third), text)
    if len(first) > 2:
        raise InputError(f"`{text}` is not a date ({DATE_HINT})")
    day, month = (int(first), int(second)) if order == "DMY" else (int(second), int(first))
    if third is None:
        return _nearest(month, day, today, text)
    year = int(third) + (2000 if len(third) == 2 else 0)
    return _build(year, month, day, text)


def parse_date(text: str, today: date, *, order: str = "DMY", ahead: bool = False) -> date:
    """One word: `YYYY-MM-DD`, `today`, `yesterday`, `tomorrow`, a weekday (`monday`, `fri`),
    or numbers in the policy's `date_order` (`27/11/2026`, `11/27/2026`, `27/11`). `today`
    is the caller's local date. A weekday is the latest one up to today, or with
    `ahead=True` (bookings) the next one from today."""
    word = text.strip().lower()
    if word in _RELATIVE:
        return today + timedelta(days=_RELATIVE[word])
    if _ISO_DATE.match(word):
        try:
            typed = date.fromisoformat(word)
        except ValueError:
            pass
        else:
            _plausible(typed.year, text)
            return typed
    numeric = _NUMERIC_DATE.match(word)
    if numeric:
        return _numeric(numeric, order, today, text)
    weekday = _named(word, _WEEKDAY_NAMES) if word[:1].isalpha() else None
    if weekday is not None:
        if ahead:
            return today + timedelta(days=(weekday - today.weekday()) % 7)
        return today - timedelta(days=(today.weekday() - weekday) % 7)
    raise InputError(f"`{text}` is not a date ({DATE_HINT})")


def _day_month(tokens: Sequence[str]) -> tuple[int, int, int] | None:
    """`27 Nov` or `Nov 27` (and `27th`): (month, day, tokens used), or None."""
    if len(tokens) < 2:
        return None
    a, b = tokens[0].lower().rstrip(","), tokens[1].lower().rstrip(",")
    for day_word, month_word in ((a, b), (b, a)):
        day_text = re.sub(r"(st|nd|rd|th)$", "", day_word)
        month = _named(month_word, _MONTH_NAMES) if month_word[:1].isalpha() else None
        if month is not None and day_text.isascii() and day_text.isdigit():
            return month + 1, int(day_text), 2
    return None


def take_date(
    tokens: Sequence[str], today: date, *, order: str = "DMY", ahead: bool = False
) -> tuple[date, int] | None:
    """A date from the front of `tokens` as people type it: one word (see `parse_date`) or
    two or three (`27 Nov`, `Nov 27`, `27 Nov 2026`). Returns the date and how many tokens
    it used, or None when the first word is not the start of a date at all; a word that is
    plainly meant as a date but is wrong (`31/02/2026`, `2016-13-01`) raises."""
    if not tokens:
        return None
    pair = _day_month(tokens)
    if pair is not None:
        month, day, used = pair
        text = " ".join(tokens[:used])
        if len(tokens) > used and re.fullmatch(r"\d{4}", tokens[used]):
            return _build(int(tokens[used]), month, day, f"{text} {tokens[used]}"), used + 1
        return _nearest(month, day, today, text), used
    if not looks_like_date(tokens[0]):
        return None
    return parse_date(tokens[0], today, order=order, ahead=ahead), 1


def looks_like_date(word: str) -> bool:
    """Whether a word is meant as a date: a date word, a weekday or starts like 2026-, 27/."""
    word = word.strip().lower()
    if word in _RELATIVE or (word[:1].isalpha() and _named(word, _WEEKDAY_NAMES) is not None):
        return True
    return bool(re.match(r"^\d{4}-\d|^\d{1,4}/\d|^\d{1,2}\.\d{1,2}\.\d{2,4}$", word))


def check_days_back(day: date, today: date, what: str = "work") -> None:
    """Refuse a day more than MAX_DAYS_BACK before `today`, with the reason."""
    if (today - day).days > MAX_DAYS_BACK:
        raise InputError(
            f"{day.isoformat()} is more than {MAX_DAYS_BACK} days ago; {what} can be recorded "
            f"back to {(today - timedelta(days=MAX_DAYS_BACK)).isoformat()} (check the year)"
        )


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
