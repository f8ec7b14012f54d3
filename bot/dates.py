"""Dates as people type them: `2026-11-27`, `yesterday`, `monday`, `27 Nov`, `27/11/2026`
in the policy's `date_order`, and the one bound on how far back anything may be recorded.
Re-exported by `bot.parsing`, the one parser every command goes through."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from bot.errors import InputError
from bot.text import is_digits

# A typo such as 0202-11-20 or 9999-12 is refused rather than billed where nobody looks
# (and calendar arithmetic at year 9999 overflows).
PLAUSIBLE_YEARS = (1970, 2999)
# How far back work may be recorded, the same for every command (/log, /call, /hourglass
# hours add): a typo'd year must not bill a month nobody looks at.
MAX_DAYS_BACK = 366
DATE_ORDERS = ("DMY", "MDY", "YMD")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_NUMERIC_DATE = re.compile(r"^(\d{1,4})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?$", re.ASCII)
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
        if month is not None and is_digits(day_text):
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
        if len(tokens) > used and re.fullmatch(r"\d{4}", tokens[used], re.ASCII):
            return _build(int(tokens[used]), month, day, f"{text} {tokens[used]}"), used + 1
        return _nearest(month, day, today, text), used
    if not looks_like_date(tokens[0]):
        return None
    return parse_date(tokens[0], today, order=order, ahead=ahead), 1


def date_length(tokens: Sequence[str]) -> int:
    """How many of `tokens` the date at their front is typed in: 2 for `27 Nov`, 3 for
    `27 Nov 2026`, else 1 (`2026-11-27`, `tomorrow`, `27/11/2026`). For grammars that read a
    date, then more fields (`/book acme 27 Nov 3pm 1h`)."""
    pair = _day_month(tokens)
    if pair is None:
        return 1
    used = pair[2]
    year = len(tokens) > used and re.fullmatch(r"\d{4}", tokens[used], re.ASCII)
    return used + 1 if year else used


def parse_day_words(text: str, today: date, *, order: str = "DMY", ahead: bool = False) -> date:
    """A whole field that is one date in any of the forms `take_date` reads (`27 Nov`,
    `tomorrow`, `27/11/2026`); anything more or else is refused as not a date."""
    words = text.split()
    taken = take_date(words, today, order=order, ahead=ahead)
    if taken is not None and taken[1] == len(words):
        return taken[0]
    return parse_date(text, today, order=order, ahead=ahead)


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
