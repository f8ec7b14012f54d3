"""What is billable, and how a day's ad-hoc work is rounded once (seed 001).

Ad-hoc 1-on-1 work (anything outside a pre-scheduled session) is billed in 30-minute
increments, rounded once per customer per day: 5m + 30m = 35m logged becomes 60m billed
that day (``daily_receipts`` with the policy's ``RoundingRule``). General support is never
billable; ``billable_entries`` drops it. Pure: work dates are provider-timezone dates the
caller has already converted; durations are whole minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.billing.blocks import Charge
from bot.policy.rounding import RoundingRule
from bot.units import format_minutes, format_work_date, require_minutes

ADHOC_DAY_SOURCE = "day"


# --- What is billable -------------------------------------------------------------------------


class SupportKind(StrEnum):
    GENERAL = "general"
    ONE_ON_ONE = "one_on_one"


def is_billable(kind: SupportKind | str) -> bool:
    """Only 1-on-1 tech support is billed; general support never is."""
    # SupportKind(...) rejects unknown kinds loudly instead of guessing either way.
    return SupportKind(kind) is SupportKind.ONE_ON_ONE


def billable_entries(
    entries: Iterable[tuple[date, int, SupportKind | str]],
) -> list[tuple[date, int]]:
    """Keep the billable ``(work_date, minutes)`` pairs, in the order given."""
    return [(work_date, minutes) for work_date, minutes, kind in entries if is_billable(kind)]


@dataclass(frozen=True)
class DayReceipt:
    """One customer's ad-hoc work on one day, as logged and as billed."""

    customer: str
    work_date: date
    entries_minutes: tuple[int, ...]
    logged_minutes: int
    billed_minutes: int
    rule: RoundingRule

    def __post_init__(self) -> None:
        # A receipt is shown to customers; refuse one whose numbers don't add up.
        for minutes in self.entries_minutes:
            require_minutes(minutes, "entry minutes")
        if self.logged_minutes != sum(self.entries_minutes):
            raise ValueError("logged_minutes must equal the sum of entries_minutes")
        if self.billed_minutes != self.rule.apply(self.logged_minutes):
            raise ValueError("billed_minutes must be logged_minutes rounded by the rule")

    def describe(self, today: date | None = None) -> str:
        logged = format_minutes(self.logged_minutes)
        if len(self.entries_minutes) > 1:
            parts = " + ".join(format_minutes(m) for m in self.entries_minutes)
            logged = f"{parts} = {logged}"
        return (
            f"{self.customer}, {format_work_date(self.work_date, today)}: {logged} logged → "
            f"{format_minutes(self.billed_minutes)} billed ({self.rule.describe()})"
        )

    def charge(self) -> Charge:
        """The day's billed total, ready to draw down from hour blocks."""
        return Charge(
            work_date=self.work_date, minutes=self.billed_minutes, source=ADHOC_DAY_SOURCE
        )


def daily_receipts(
    customer: str, entries: Iterable[tuple[date, int]], rule: RoundingRule
) -> list[DayReceipt]:
    """Group one customer's billable ad-hoc entries by day and round each day once.

    ``entries`` must already be billable (general support filtered out) and dated in the
    provider's timezone. Days with nothing logged produce no receipt. Entries keep the order
    given within a day, which only affects how the receipt reads, never what is billed.
    """
    by_day: dict[date, list[int]] = {}
    for work_date, minutes in entries:
        require_minutes(minutes, "entry minutes")
        by_day.setdefault(work_date, []).append(minutes)
    receipts = []
    for work_date in sorted(by_day):
        day_entries = tuple(by_day[work_date])
        logged = sum(day_entries)
        if logged == 0:
            continue
        receipts.append(
            DayReceipt(
                customer=customer,
                work_date=work_date,
                entries_minutes=day_entries,
                logged_minutes=logged,
                billed_minutes=rule.apply(logged),
                rule=rule,
            )
        )
    return receipts
