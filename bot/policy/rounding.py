"""How a day's logged ad-hoc minutes become billed minutes: the rounding rule the policy
configures (seed 001: 30-minute increments). Applied once a day by `bot.billing.rounding`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.units import require_minutes


class RoundingMode(StrEnum):
    UP = "up"
    NEAREST = "nearest"  # exactly half an increment rounds up


@dataclass(frozen=True)
class RoundingRule:
    """How a day's logged ad-hoc minutes become billed minutes."""

    increment_minutes: int = 30
    mode: RoundingMode = RoundingMode.UP

    def __post_init__(self) -> None:
        require_minutes(self.increment_minutes, "increment_minutes")
        if self.increment_minutes == 0:
            raise ValueError("increment_minutes must be positive")
        object.__setattr__(self, "mode", RoundingMode(self.mode))

    def apply(self, logged_minutes: int) -> int:
        require_minutes(logged_minutes, "logged_minutes")
        step = self.increment_minutes
        if self.mode is RoundingMode.UP:
            return -(-logged_minutes // step) * step
        whole, rest = divmod(logged_minutes, step)
        # Doubling avoids fractions for odd increments; a remainder of exactly half rounds up.
        return (whole + (2 * rest >= step)) * step

    def describe(self) -> str:
        if self.mode is RoundingMode.UP:
            return f"{self.increment_minutes}-minute increments, rounded once daily"
        return f"{self.increment_minutes}-minute increments, rounded to nearest once daily"
