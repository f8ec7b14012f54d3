"""Money by the version in force (issue 16): minutes worked on several days, each priced at
the rate of the policy version in force that day.

Minutes at one rate are priced together, so a month under one version is priced exactly as a
single total always was (no per-day rounding of pence).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

from bot.policy.model import Policy
from bot.units import overage_amount

Rate = Callable[[Policy], Decimal]


def hourly_rate(policy: Policy) -> Decimal:
    return policy.hourly_rate


def training_rate(policy: Policy) -> Decimal:
    return policy.training_rate


def price_by_day(policy: Policy, minutes_by_day: Iterable[tuple[date, int]], rate: Rate) -> Decimal:
    """The price of `(day, minutes)` pairs, each day at `rate` of the version in force then."""
    by_rate: dict[Decimal, int] = {}
    for day, minutes in minutes_by_day:
        price = rate(policy.at(day))
        by_rate[price] = by_rate.get(price, 0) + minutes
    return sum(
        (overage_amount(minutes, price) for price, minutes in by_rate.items()), Decimal("0.00")
    )
