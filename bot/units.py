"""How Hourglass checks and writes time and money: whole minutes, `1h 30m`, `Fri 20 Nov`, and
prices to the cent. Pure; part of the domain's kernel, so every feature can use it.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")
# Spelled out rather than strftime("%a %b") so receipts never depend on the host locale.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def require_minutes(value: int, what: str) -> None:
    # bool is an int subclass; True minutes is always a bug upstream.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be whole minutes (int), got {value!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")


def format_minutes(minutes: int) -> str:
    """Render a duration the way support staff say it: 35m, 1h, 1h 30m."""
    require_minutes(minutes, "minutes")
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return f"{rest}m"
    if rest == 0:
        return f"{hours}h"
    return f"{hours}h {rest}m"


# Nouns whose plural is not made by the rules in `plural`.
_IRREGULAR_PLURALS = {"person": "people"}


def plural(count: int, noun: str) -> str:
    """A count with its noun agreeing, for every reply that counts: `1 ticket`, `2 tickets`,
    `1 entry`, `3 entries`, `1 breach`, `0 breaches`. The noun's last word is the one that
    changes (`1 business day`, `2 business days`)."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {_plural_noun(noun)}"


def _plural_noun(noun: str) -> str:
    head, _, last = noun.rpartition(" ")
    if last in _IRREGULAR_PLURALS:
        many = _IRREGULAR_PLURALS[last]
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        many = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        many = last + "es"
    else:
        many = last + "s"
    return f"{head} {many}" if head else many


def format_work_date(work_date: date, today: date | None = None) -> str:
    """Short receipt date, e.g. ``Fri 20 Nov``; with the year (``Thu 1 Dec 2016``) when it is
    not `today`'s year, so a date in another year never reads as this one's."""
    text = f"{_WEEKDAYS[work_date.weekday()]} {work_date.day} {_MONTHS[work_date.month - 1]}"
    return (
        text if today is not None and today.year == work_date.year else f"{text} {work_date.year}"
    )


def overage_amount(overage_minutes: int, hourly_rate: Decimal) -> Decimal:
    """Price overage pro rata: minutes / 60 * rate, to the cent, half up."""
    require_minutes(overage_minutes, "overage_minutes")
    if not isinstance(hourly_rate, (Decimal, int)) or isinstance(hourly_rate, bool):
        raise TypeError("hourly_rate must be a Decimal (floats lose cents)")
    # Multiply before dividing so e.g. 20 minutes at 90.00 is exactly 30.00.
    return (Decimal(overage_minutes) * Decimal(hourly_rate) / 60).quantize(
        _CENT, rounding=ROUND_HALF_UP
    )
