"""Prepaid hour blocks and how charges draw them down (seed 001).

Hours are bought as ``HourBlock``s that are non-refundable and valid for 90 days from
purchase; whatever is left at expiry is forfeited. Billed amounts (``Charge``s) draw down
the valid block that expires soonest; what no block covers is overage.

Recomputation is the design: ``allocate`` keeps no state and derives every drawdown,
balance and forfeiture from the charges and blocks it is given, so a back-dated, edited or
deleted charge is handled by calling it again, never by patching an earlier result.

Pure logic: no Slack, no storage, no clock; anything time-dependent takes an ``as_of`` date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.text import is_digits
from bot.units import require_minutes

DEFAULT_VALIDITY_DAYS = 90
DEFAULT_EXPIRY_WARNING_DAYS = (14, 7, 1)
TRAILING_WEEKS = 8  # the forecasts' burn rate: billed time over the last 8 whole weeks


def trailing_weeks_start(today: date) -> date:
    """The Monday `TRAILING_WEEKS` whole weeks before `today`'s week: where the forecasts'
    burn rate starts (bot.insights.forecast), and so where the clock's block rules start
    their ledgers' charges, so that one ledger a customer serves all three of a tick
    (bot.billing.ledger, `ledgers_for`)."""
    return today - timedelta(days=today.weekday(), weeks=TRAILING_WEEKS)


# --- Hour blocks and drawdown ----------------------------------------------------------------


@dataclass(frozen=True)
class HourBlock:
    """Prepaid, non-refundable minutes usable on days ``purchased <= d < expires``."""

    id: str
    minutes: int
    purchased: date
    expires: date

    def __post_init__(self) -> None:
        require_minutes(self.minutes, "block minutes")
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
        require_minutes(self.minutes, "charge minutes")
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
    return (0, int(block_id)) if is_digits(block_id) else (1, block_id)


@dataclass(frozen=True)
class Carry:
    """What the allocation carries into ``cut``: every charge dated before it already drawn.

    ``remaining`` holds the minutes left in each block (by id) after those charges, and
    ``overage_minutes`` what they spilled. The fold is in date order and a charge only draws
    from blocks valid on its date, so charges on or after ``cut`` never change what came
    before: allocating them from this carry gives what allocating everything would.
    """

    cut: date
    remaining: dict[str, int]
    overage_minutes: int = 0


def _ordered(blocks: Iterable[HourBlock]) -> list[HourBlock]:
    ordered_blocks = sorted(blocks, key=_block_priority)
    ids = [b.id for b in ordered_blocks]
    if len(set(ids)) != len(ids):
        raise ValueError("block ids must be unique")
    return ordered_blocks


def _fold(
    charges: Iterable[Charge],
    ordered_blocks: list[HourBlock],
    remaining: dict[str, int],
    drawdowns: list[Drawdown] | None,
) -> int:
    """Draw the charges, in order, from ``remaining`` (updated in place); returns the overage.

    Blocks are ordered by expiry, so those expired on a charge's date are skipped for good:
    the cost is the charges times the blocks live on their dates, not every block ever sold.
    """
    overage, first_live = 0, 0
    for charge in sorted(charges, key=_charge_order):
        day, owed = charge.work_date, charge.minutes
        while first_live < len(ordered_blocks) and ordered_blocks[first_live].expires <= day:
            first_live += 1
        for block in ordered_blocks[first_live:]:
            if owed == 0:
                break
            if block.purchased > day or remaining[block.id] == 0:
                continue
            taken = min(owed, remaining[block.id])
            remaining[block.id] -= taken
            owed -= taken
            if drawdowns is not None:
                drawdowns.append(Drawdown(block.id, day, taken, charge.source))
        if owed:
            overage += owed
            if drawdowns is not None:
                drawdowns.append(Drawdown(None, day, owed, charge.source))
    return overage


def _start(ordered_blocks: list[HourBlock], carry: Carry | None) -> tuple[dict[str, int], int]:
    remaining = {b.id: b.minutes for b in ordered_blocks}
    if carry is None:
        return remaining, 0
    for block_id, left in carry.remaining.items():
        if block_id in remaining:
            remaining[block_id] = left
    return remaining, carry.overage_minutes


def _check_after(charges: list[Charge], carry: Carry | None) -> None:
    if carry is not None and any(c.work_date < carry.cut for c in charges):
        raise ValueError("a charge dated before the carry's cut was already drawn")


def carry_to(
    charges: Iterable[Charge],
    blocks: Iterable[HourBlock],
    cut: date,
    carry: Carry | None = None,
    drawdowns: list[Drawdown] | None = None,
) -> Carry:
    """The state after drawing every given charge dated before ``cut`` (those from ``carry``
    on, when given: an earlier carry plus the charges after it). The drawdowns made on the
    way are appended to ``drawdowns`` when it is given."""
    before = [c for c in charges if c.work_date < cut]
    _check_after(before, carry)
    ordered_blocks = _ordered(blocks)
    remaining, overage = _start(ordered_blocks, carry)
    overage += _fold(before, ordered_blocks, remaining, drawdowns)
    return Carry(cut, remaining, overage)


def allocate(
    charges: Iterable[Charge],
    blocks: Iterable[HourBlock],
    as_of: date,
    carry: Carry | None = None,
) -> Allocation:
    """Draw every given charge from the blocks and report balances as of ``as_of``.

    Charges are taken in work-date order (ties by source, then minutes). Each draws from the
    blocks valid on its work date that still have minutes, soonest expiry first (ties: earlier
    purchase, then id), spanning blocks if needed; the rest is overage. Every charge given is
    allocated; choosing which charges count (e.g. ``work_date <= as_of``) is the caller's job.
    Blocks expired by ``as_of`` forfeit what they have left.

    With a ``carry``, the charges before its cut are already drawn (the charges given must be
    on or after it): balances and overage are the same, drawdowns are those from the cut on.
    """
    charges = list(charges)
    _check_after(charges, carry)
    ordered_blocks = _ordered(blocks)
    remaining, overage = _start(ordered_blocks, carry)
    drawdowns: list[Drawdown] = []
    overage += _fold(charges, ordered_blocks, remaining, drawdowns)

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
    require_minutes(remaining_minutes, "remaining_minutes")
    require_minutes(threshold_minutes, "threshold_minutes")
    return remaining_minutes <= threshold_minutes
