"""Billing for 1-on-1 tech support drawn from prepaid hour blocks.

The policy this module implements:

* Ad-hoc 1-on-1 work (anything outside a pre-scheduled session) is billed in
  30-minute increments, rounded once per customer per day: 5m + 30m = 35m
  logged becomes 60m billed that day. ``RoundingRule`` and ``daily_receipts``.
* General support is never billable; ``billable_entries`` drops it.
* Hours are bought as ``HourBlock``s that are non-refundable and valid for 90
  days from purchase; whatever is left at expiry is forfeited.
* Billed amounts (``Charge``s) draw down the valid block that expires soonest;
  what no block covers is overage, priced by ``overage_amount``.

Recomputation is the design: ``allocate`` keeps no state and derives every
drawdown, balance and forfeiture from the charges and blocks it is given. A
back-dated, edited or deleted charge is handled by calling ``allocate`` again
with the corrected inputs, never by patching an earlier result. Its output does
not depend on the order charges or blocks were recorded in.

Pure logic: no Slack, no storage, no clock. Anything time-dependent takes an
``as_of`` date; work dates are calendar dates in the provider's timezone (the
caller converts). Durations are whole minutes; money is ``Decimal`` to 0.01.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

DEFAULT_VALIDITY_DAYS = 90
DEFAULT_EXPIRY_WARNING_DAYS = (14, 7, 1)
ADHOC_DAY_SOURCE = "day"

_CENT = Decimal("0.01")
# Spelled out rather than strftime("%a %b") so receipts never depend on the host locale.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _require_minutes(value: int, what: str) -> None:
    # bool is an int subclass; True minutes is always a bug upstream.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be whole minutes (int), got {value!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")


def format_minutes(minutes: int) -> str:
    """Render a duration the way support staff say it: 35m, 1h, 1h 30m."""
    _require_minutes(minutes, "minutes")
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return f"{rest}m"
    if rest == 0:
        return f"{hours}h"
    return f"{hours}h {rest}m"


def format_work_date(work_date: date) -> str:
    """Short receipt date, e.g. ``Fri 20 Nov``."""
    return f"{_WEEKDAYS[work_date.weekday()]} {work_date.day} {_MONTHS[work_date.month - 1]}"


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


# --- Daily rounding of ad-hoc work -----------------------------------------------------------


class RoundingMode(StrEnum):
    UP = "up"
    NEAREST = "nearest"  # exactly half an increment rounds up


@dataclass(frozen=True)
class RoundingRule:
    """How a day's logged ad-hoc minutes become billed minutes."""

    increment_minutes: int = 30
    mode: RoundingMode = RoundingMode.UP

    def __post_init__(self) -> None:
        _require_minutes(self.increment_minutes, "increment_minutes")
        if self.increment_minutes == 0:
            raise ValueError("increment_minutes must be positive")
        object.__setattr__(self, "mode", RoundingMode(self.mode))

    def apply(self, logged_minutes: int) -> int:
        _require_minutes(logged_minutes, "logged_minutes")
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
            _require_minutes(minutes, "entry minutes")
        if self.logged_minutes != sum(self.entries_minutes):
            raise ValueError("logged_minutes must equal the sum of entries_minutes")
        if self.billed_minutes != self.rule.apply(self.logged_minutes):
            raise ValueError("billed_minutes must be logged_minutes rounded by the rule")

    def describe(self) -> str:
        logged = format_minutes(self.logged_minutes)
        if len(self.entries_minutes) > 1:
            parts = " + ".join(format_minutes(m) for m in self.entries_minutes)
            logged = f"{parts} = {logged}"
        return (
            f"{self.customer}, {format_work_date(self.work_date)}: {logged} logged → "
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
        _require_minutes(minutes, "entry minutes")
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


# --- Hour blocks and drawdown ----------------------------------------------------------------


@dataclass(frozen=True)
class HourBlock:
    """Prepaid, non-refundable minutes usable on days ``purchased <= d < expires``."""

    id: str
    minutes: int
    purchased: date
    expires: date

    def __post_init__(self) -> None:
        _require_minutes(self.minutes, "block minutes")
        if self.expires <= self.purchased:
            raise ValueError("a block must expire after it was purchased")

    @staticmethod
    def expiry_for(purchased: date, validity_days: int = DEFAULT_VALIDITY_DAYS) -> date:
        if validity_days <= 0:
            raise ValueError("validity_days must be positive")
        return purchased + timedelta(days=validity_days)

    @classmethod
    def bought(
        cls, id: str, minutes: int, purchased: date, validity_days: int = DEFAULT_VALIDITY_DAYS
    ) -> HourBlock:
        return cls(id, minutes, purchased, cls.expiry_for(purchased, validity_days))

    def is_valid_on(self, day: date) -> bool:
        return self.purchased <= day < self.expires

    def is_expired(self, as_of: date) -> bool:
        return self.expires <= as_of


@dataclass(frozen=True)
class Charge:
    """A billed amount to draw down.

    ``source`` says where it came from: ``"day"`` (a day's rounded ad-hoc total),
    ``"session:<id>"`` (a held session), ``"cancellation:<id>"`` (a late cancellation)...
    """

    work_date: date
    minutes: int
    source: str

    def __post_init__(self) -> None:
        _require_minutes(self.minutes, "charge minutes")
        if not self.source:
            raise ValueError("a charge needs a source")


@dataclass(frozen=True)
class Drawdown:
    """Minutes of one charge taken from one block; ``block_id`` None means overage."""

    block_id: str | None
    work_date: date
    minutes: int
    source: str

    @property
    def is_overage(self) -> bool:
        return self.block_id is None


class BlockStatus(StrEnum):
    ACTIVE = "active"
    EXHAUSTED = "exhausted"
    EXPIRED = "expired"


@dataclass(frozen=True)
class BlockStatement:
    """A block's balance as of the allocation date."""

    block: HourBlock
    used_minutes: int
    remaining_minutes: int
    forfeited_minutes: int
    status: BlockStatus


@dataclass(frozen=True)
class Allocation:
    """Every charge spread over the blocks, plus what spilled into overage."""

    drawdowns: tuple[Drawdown, ...]
    blocks: tuple[BlockStatement, ...]
    overage_minutes: int

    def drawdowns_for(self, source: str) -> tuple[Drawdown, ...]:
        return tuple(d for d in self.drawdowns if d.source == source)

    def drawdowns_from(self, block_id: str | None) -> tuple[Drawdown, ...]:
        return tuple(d for d in self.drawdowns if d.block_id == block_id)

    def used_by_block(self) -> dict[str, int]:
        return {s.block.id: s.used_minutes for s in self.blocks}

    def statement_for(self, block_id: str) -> BlockStatement:
        for statement in self.blocks:
            if statement.block.id == block_id:
                return statement
        raise KeyError(block_id)

    @property
    def billed_minutes(self) -> int:
        return sum(d.minutes for d in self.drawdowns)

    @property
    def remaining_minutes(self) -> int:
        """Minutes still usable across all unexpired blocks."""
        return sum(s.remaining_minutes for s in self.blocks)

    @property
    def forfeited_minutes(self) -> int:
        return sum(s.forfeited_minutes for s in self.blocks)


def _charge_order(charge: Charge) -> tuple[date, str, int]:
    return (charge.work_date, charge.source, charge.minutes)


def _block_priority(block: HourBlock) -> tuple[date, date, tuple[int, int | str]]:
    # Soonest expiry first so the customer loses as little as possible to forfeiture;
    # between blocks bought the same day, the one recorded first (ids compared as numbers,
    # so block 9 comes before block 10).
    return (block.expires, block.purchased, _id_order(block.id))


def _id_order(block_id: str) -> tuple[int, int | str]:
    return (0, int(block_id)) if block_id.isdigit() else (1, block_id)


def allocate(charges: Iterable[Charge], blocks: Iterable[HourBlock], as_of: date) -> Allocation:
    """Draw every given charge from the blocks and report balances as of ``as_of``.

    Charges are taken in work-date order (ties by source, then minutes). Each draws from the
    blocks valid on its work date that still have minutes, soonest expiry first (ties: earlier
    purchase, then id), spanning blocks if needed; the rest is overage. Every charge given is
    allocated; choosing which charges count (e.g. ``work_date <= as_of``) is the caller's job.
    Blocks expired by ``as_of`` forfeit what they have left.
    """
    ordered_blocks = sorted(blocks, key=_block_priority)
    ids = [b.id for b in ordered_blocks]
    if len(set(ids)) != len(ids):
        raise ValueError("block ids must be unique")

    remaining = {b.id: b.minutes for b in ordered_blocks}
    drawdowns: list[Drawdown] = []
    overage = 0
    for charge in sorted(charges, key=_charge_order):
        owed = charge.minutes
        for block in ordered_blocks:
            if owed == 0:
                break
            if not block.is_valid_on(charge.work_date) or remaining[block.id] == 0:
                continue
            taken = min(owed, remaining[block.id])
            remaining[block.id] -= taken
            owed -= taken
            drawdowns.append(Drawdown(block.id, charge.work_date, taken, charge.source))
        if owed:
            overage += owed
            drawdowns.append(Drawdown(None, charge.work_date, owed, charge.source))

    statements = []
    for block in ordered_blocks:
        left = remaining[block.id]
        used = block.minutes - left
        if block.is_expired(as_of):
            statement = BlockStatement(block, used, 0, left, BlockStatus.EXPIRED)
        elif left == 0:
            statement = BlockStatement(block, used, 0, 0, BlockStatus.EXHAUSTED)
        else:
            statement = BlockStatement(block, used, left, 0, BlockStatus.ACTIVE)
        statements.append(statement)

    return Allocation(tuple(drawdowns), tuple(statements), overage)


def overage_amount(overage_minutes: int, hourly_rate: Decimal) -> Decimal:
    """Price overage pro rata: minutes / 60 * rate, to the cent, half up."""
    _require_minutes(overage_minutes, "overage_minutes")
    if not isinstance(hourly_rate, (Decimal, int)) or isinstance(hourly_rate, bool):
        raise TypeError("hourly_rate must be a Decimal (floats lose cents)")
    # Multiply before dividing so e.g. 20 minutes at 90.00 is exactly 30.00.
    return (Decimal(overage_minutes) * Decimal(hourly_rate) / 60).quantize(
        _CENT, rounding=ROUND_HALF_UP
    )


# --- Alerts ---------------------------------------------------------------------------------


def block_expiry_warnings(
    block: HourBlock, as_of: date, days_before: Iterable[int] = DEFAULT_EXPIRY_WARNING_DAYS
) -> list[int]:
    """Warning thresholds (days before expiry) reached by ``as_of``, largest first.

    Empty once the block has expired. The caller decides whether a block with nothing left
    is worth warning about, and keys each alert with ``expiry_alert_key`` so a sweeper that
    runs late or twice still sends each warning once.
    """
    if block.is_expired(as_of):
        return []
    days_left = (block.expires - as_of).days
    return sorted({n for n in days_before if days_left <= n}, reverse=True)


def expiry_alert_key(block_id: str, days_before: int) -> str:
    return f"block_expiring:{block_id}:{days_before}"


def low_balance(remaining_minutes: int, threshold_minutes: int) -> bool:
    """True when the remaining balance is at or below the threshold."""
    _require_minutes(remaining_minutes, "remaining_minutes")
    _require_minutes(threshold_minutes, "threshold_minutes")
    return remaining_minutes <= threshold_minutes
