"""What follows a drawdown from the hour blocks, wherever it comes from.

A day's logged time, an undo, a held session, a late-cancellation or no-show charge and a
block's expiry all change the allocation, which is always derived from every charge. Each
calls `after_drawdown` in its own transaction, so that:
- an expired block's recorded forfeit, and the block_expired alert already posted, stay
  true (work back-dated into the block's validity, or a session that straddled its expiry
  and was held afterwards, really used those hours): the alert is edited in place;
- block_low fires once the balance reaches the threshold (keyed by the newest block, so
  buying more re-arms it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from bot.alerts.follow import raise_or_revive, withdraw
from bot.alerts.outbox import update_alert
from bot.billing.blocks import BlockStatement, low_balance
from bot.billing.ledger import Ledger, ledger_for
from bot.policy.model import Policy
from bot.units import format_minutes
from store.models import Alert, Customer, HourBlock
from store.repositories.core import HourBlocks, lock_customer


def after_drawdown(
    db: Session, policy: Policy, customer: Customer, now: datetime, *, check_low: bool = True
) -> int:
    """Keep recorded forfeits true and check block_low; returns alerts raised or moved.

    Under the customer's lock, taken before the ledger is read: of two drawdowns at once
    (a late cancellation and a /log), the second sees the first, so neither misses the
    balance reaching the threshold."""
    db.flush()  # the ledger must see the change that caused the drawdown
    lock_customer(db, customer.id)
    ledger = ledger_for(db, policy, customer, now)
    blocks = HourBlocks.for_customer(db, customer.id)  # read once for both checks
    moved = sync_recorded_forfeits(db, policy, customer, ledger, now, blocks)
    if check_low:
        moved += int(raise_low_balance_alert(db, policy, customer, ledger, now, blocks=blocks))
    return moved


def block_label(block: HourBlock) -> str:
    return f"#{block.id} ({format_minutes(block.minutes)}, bought {block.purchased.isoformat()})"


def expired_text(customer: Customer, block: HourBlock, statement: BlockStatement) -> str:
    forfeited = statement.forfeited_minutes
    outcome = (
        f"{format_minutes(forfeited)} unused and forfeited"
        if forfeited
        else "fully used, nothing forfeited"
    )
    return (
        f":hourglass: *{customer.name}*: hour block {block_label(block)} expired on "
        f"{block.expires.isoformat()}: {format_minutes(statement.used_minutes)} used, {outcome}."
    )


def forfeit_state(forfeited_minutes: int) -> str:
    """The block_expired alert's state: it moves on when the forfeit does."""
    return f"forfeited:{forfeited_minutes}"


def sync_recorded_forfeits(
    db: Session,
    policy: Policy,
    customer: Customer,
    ledger: Ledger,
    now: datetime,
    blocks: list[HourBlock] | None = None,
) -> int:
    """Keep each expired block's recorded forfeit, and its posted alert, equal to the ledger's.
    `blocks`: the customer's blocks in use, if the caller has read them already."""
    moved = 0
    if blocks is None:
        blocks = HourBlocks.for_customer(db, customer.id)
    for block in blocks:
        if block.expired_recorded_at is None or block.expires > ledger.as_of:
            continue
        statement = ledger.allocation.statement_for(str(block.id))
        if block.forfeited_minutes == statement.forfeited_minutes:
            continue
        block.forfeited_minutes = statement.forfeited_minutes
        moved += update_alert(
            db,
            f"block_expired:{block.id}",
            state=forfeit_state(statement.forfeited_minutes),
            text=expired_text(customer, block, statement),
            now=now,
            data={"forfeited_minutes": statement.forfeited_minutes},
        )
    db.flush()
    return moved


class Numbered(Protocol):
    """A block as the low-balance check needs it: its id (a row, or a sweep's `BlockRow`)."""

    @property
    def id(self) -> int: ...


def low_balance_key(customer: Customer, newest_block_id: int) -> str:
    # Keyed by the newest block, so buying a block re-arms the alert.
    return f"block_low:{customer.id}:{newest_block_id}"


def raise_low_balance_alert(
    db: Session,
    policy: Policy,
    customer: Customer,
    ledger: Ledger,
    now: datetime,
    *,
    cause: str | None = None,
    blocks: Sequence[Numbered] | None = None,
    known: dict[str, Alert] | None = None,
) -> bool:
    """Keep block_low true to the balance: raised once per purchase when the unexpired
    balance is at/under the threshold; withdrawn in place when a correction (`cause`, e.g.
    "#12 was undone by @jo") takes it back over; raised again, the same message, if it falls
    back. True if the alert was raised, withdrawn or raised again. `blocks`: the customer's
    blocks in use, if the caller has read them already; `known`: the block_low alerts a
    sweep read for its batch by key (absent: none), current under the customers' locks."""
    if blocks is None:
        blocks = HourBlocks.for_customer(db, customer.id)
    if not blocks:
        return False
    threshold = int(policy.billing.block_low_threshold.total_seconds()) // 60
    remaining = ledger.allocation.remaining_minutes
    newest = max(blocks, key=lambda b: b.id)
    key = low_balance_key(customer, newest.id)
    if not low_balance(remaining, threshold):
        why = (
            f"*{customer.name}* has {format_minutes(remaining)} of prepaid hours again, over "
            f"the {format_minutes(threshold)} threshold" + (f" ({cause})" if cause else "")
        )
        return withdraw(db, key, why=why, now=now, known=known)
    live = [s for s in ledger.allocation.blocks if s.remaining_minutes > 0]
    where = ", ".join(
        f"#{s.block.id}: {format_minutes(s.remaining_minutes)} until {s.block.expires.isoformat()}"
        for s in live
    )
    head = f":battery: *{customer.name}* is low on prepaid hours: "
    threshold_text = f"(threshold {format_minutes(threshold)})"
    rate = f"{policy.hourly_rate} {policy.currency}/h"
    if where:
        text = (
            f"{head}{format_minutes(remaining)} left {threshold_text} — {where}. Latest block "
            f"#{newest.id}. Further 1-on-1 time bills as overage at {rate} once it runs out."
        )
    else:  # nothing left: overage is not a prospect but what happens now
        text = (
            f"{head}nothing left {threshold_text}; every block is used up or expired. Latest "
            f"block #{newest.id}. Further 1-on-1 time bills as overage at {rate}."
        )
    return raise_or_revive(
        db,
        policy,
        key=key,
        kind="block_low",
        customer=customer,
        text=text,
        now=now,
        data={"remaining_minutes": remaining, "threshold_minutes": threshold},
        known=known,
    )
