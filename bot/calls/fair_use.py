"""Telephone fair use (seed 000), as pure arithmetic: no Slack, no storage, no clock.

* Call time is counted per caller per calendar month in the provider's timezone, to the
  second.
* A call over ``long_call`` (15 minutes) is flagged as possible training.
* A caller over ``allowance_per_user`` (45 minutes) in the month has used the allowance
  (``over_allowance``); over ``review_per_user`` (60 minutes) the caller is flagged for
  ``review``. Both limits are strict: exactly 45:00 is still ``within``.
* The account is measured against the same limits times its paying seats.
* Only calls for plans with phone support count; the caller decides which those are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.parsing import format_duration
from bot.policy.model import FairUse
from bot.units import format_minutes


class Status(StrEnum):
    """A caller's (or the account's) month against the limits. `NOT_COVERED` marks calls the
    plan does not cover: on the statement, outside fair use (`status_for` never gives it)."""

    WITHIN = "within"
    OVER_ALLOWANCE = "over_allowance"
    REVIEW = "review"
    NOT_COVERED = "not_covered"


@dataclass(frozen=True)
class Limits:
    """Fair-use limits in whole seconds."""

    long_call: int = 15 * 60
    allowance: int = 45 * 60
    review: int = 60 * 60

    @classmethod
    def from_policy(cls, fair_use: FairUse) -> Limits:
        """From the policy's `[fair_use]`: durations become whole seconds."""
        return cls(
            long_call=_seconds(fair_use.long_call),
            allowance=_seconds(fair_use.allowance_per_user),
            review=_seconds(fair_use.review_per_user),
        )

    def for_account(self, seats: int) -> Limits:
        """The account's limits: the per-user allowance and review limit times its seats."""
        if seats < 1:
            raise ValueError("an account has at least one seat")
        return Limits(self.long_call, self.allowance * seats, self.review * seats)


def _seconds(value: timedelta) -> int:
    return int(value.total_seconds())


def is_long_call(seconds: int, limits: Limits) -> bool:
    return seconds > limits.long_call


def status_for(seconds: int, limits: Limits) -> Status:
    if seconds > limits.review:
        return Status.REVIEW
    if seconds > limits.allowance:
        return Status.OVER_ALLOWANCE
    return Status.WITHIN


def month_of(instant: datetime, tz: ZoneInfo) -> tuple[int, int]:
    """The calendar month an instant falls in, in the provider's timezone."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    local = instant.astimezone(tz)
    return local.year, local.month


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


@dataclass(frozen=True)
class CallRecord:
    caller: str
    seconds: int
    quality: int | None = None


@dataclass(frozen=True)
class CallerMonth:
    """One caller's month: what the statement's `calls` rows are made of."""

    caller: str
    calls: int
    seconds: int
    long_calls: int
    status: Status
    avg_quality: float | None


def caller_months(records: Iterable[CallRecord], limits: Limits) -> list[CallerMonth]:
    """Per caller totals of one month's covered calls, sorted by caller."""
    grouped: dict[str, list[CallRecord]] = {}
    for record in records:
        if record.seconds < 0:
            raise ValueError("a call cannot last a negative time")
        grouped.setdefault(record.caller, []).append(record)
    result = []
    for caller in sorted(grouped):
        calls = grouped[caller]
        seconds = sum(c.seconds for c in calls)
        scores = [c.quality for c in calls if c.quality is not None]
        result.append(
            CallerMonth(
                caller=caller,
                calls=len(calls),
                seconds=seconds,
                long_calls=sum(is_long_call(c.seconds, limits) for c in calls),
                status=status_for(seconds, limits),
                avg_quality=round(sum(scores) / len(scores), 2) if scores else None,
            )
        )
    return result


def format_call_time(seconds: int) -> str:
    """A finished call's time (or a month of calls) as people read durations everywhere:
    `17m`, `1h 1m`, in whole minutes with a started minute counting (`16m 01s` reads `17m`).
    Up, not to the nearest: it is how a call is billed as training, and it keeps every
    comparison true as read, because the limits are strict to the second: a caller at
    45m 01s is over a 45m allowance and reads `46m`, never `45m`. The exact seconds stay in
    the JSON and CSV statements; only a running timer shows seconds (`format_running`)."""
    if seconds < 0:
        raise ValueError("negative call time")
    return format_minutes(-(-seconds // 60))


def format_running(seconds: int) -> str:
    """A timer still running, to the second, so it visibly moves: `16m 30s`, `1h 1m 05s`."""
    if seconds < 0:
        raise ValueError("negative call time")
    return format_duration(timedelta(seconds=seconds), seconds=True)


def format_limit(seconds: int) -> str:
    """A limit as the policy states it: `45m`, `1h`, `1h 30m` (to the second if it has
    seconds, so a limit never reads rounded)."""
    if seconds % 60:
        return format_duration(timedelta(seconds=seconds), seconds=True)
    return format_minutes(seconds // 60)


def describe_status(status: Status) -> str:
    return {
        Status.WITHIN: "within allowance",
        Status.OVER_ALLOWANCE: "over allowance",
        Status.REVIEW: "over allowance, flagged for review",
        Status.NOT_COVERED: "not covered by the plan",
    }[status]
