"""Correcting hour blocks from Slack (issue 19 item 1): list a customer's blocks with what
is drawn from each, void a block nothing is drawn from, adjust a block's hours with a
reason. Each change is audited (`audit_log`: who, when, what it was) and re-derives the
drawdown and its alerts in the same transaction, as any change to billing does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.billing.drawdown import after_drawdown
from bot.billing.hours import MAX_BLOCK_HOURS, parse_hours
from bot.billing.ledger import ledger_for
from bot.errors import Conflict, InputError
from bot.policy.model import Policy
from bot.units import format_minutes
from store.models import AuditEntry, Customer, HourBlock
from store.repositories.audit import AuditLog
from store.repositories.core import Customers, HourBlocks, lock_customer


@dataclass(frozen=True)
class BlockLine:
    """A block in use, as the ledger stands today."""

    block: HourBlock
    drawn_minutes: int
    left_minutes: int
    forfeited_minutes: int
    status: str


# How a block's changes are filed in the audit log.
SUBJECT = "hour_block"


def blocks_of(
    db: Session, policy: Policy, customer: Customer, now: datetime
) -> tuple[list[BlockLine], list[HourBlock]]:
    """The customer's blocks in use with what is drawn and left, and the voided ones."""
    allocation = ledger_for(db, policy, customer, now).allocation
    lines = []
    for block in HourBlocks.for_customer(db, customer.id):
        statement = allocation.statement_for(str(block.id))
        lines.append(
            BlockLine(
                block,
                statement.used_minutes,
                statement.remaining_minutes,
                statement.forfeited_minutes,
                str(statement.status),
            )
        )
    return lines, HourBlocks.voided_for_customer(db, customer.id)


def changes_to(db: Session, block: HourBlock) -> list[AuditEntry]:
    return AuditLog.for_subject(db, SUBJECT, block.id)


def _block(db: Session, block_id: int) -> tuple[HourBlock, Customer]:
    """The block in use (customer locked), or the reason it cannot be corrected."""
    block = HourBlocks.find(db, block_id)
    if block is None:
        raise InputError(f"there is no hour block #{block_id}")
    lock_customer(db, block.customer_id)
    db.refresh(block)
    if block.voided_at is not None:
        raise Conflict(f"hour block #{block_id} is already voided")
    return block, Customers.get(db, block.customer_id)


def _drawn(db: Session, policy: Policy, customer: Customer, block: HourBlock, now: datetime) -> int:
    return (
        ledger_for(db, policy, customer, now).allocation.statement_for(str(block.id)).used_minutes
    )


def _as_it_was(block: HourBlock, customer: Customer) -> dict[str, object]:
    return {
        "customer": customer.name,
        "minutes": block.minutes,
        "purchased": block.purchased.isoformat(),
        "expires": block.expires.isoformat(),
        "ref": block.ref,
    }


def void_block(
    db: Session, policy: Policy, block_id: int, *, actor: str, now: datetime
) -> tuple[HourBlock, Customer]:
    """Void a block recorded by mistake: only while nothing is drawn from it (else its hours
    are adjusted, so what was billed stays explained). The row stays, marked voided."""
    block, customer = _block(db, block_id)
    drawn = _drawn(db, policy, customer, block, now)
    if drawn:
        raise Conflict(
            f"hour block #{block.id} has {format_minutes(drawn)} drawn from it, so it cannot be "
            f"voided; correct its hours with `/hourglass hours adjust #{block.id} <±hours> <reason>`"
        )
    block.voided_at, block.voided_by = now, actor
    AuditLog.record(
        db,
        actor=actor,
        action="block.void",
        subject_kind=SUBJECT,
        subject_id=block.id,
        at=now,
        customer_id=customer.id,
        before=_as_it_was(block, customer),
    )
    after_drawdown(db, policy, customer, now)
    return block, customer


def parse_change(text: str) -> int:
    """`+2`, `-1.5`, `2` hours as signed whole minutes."""
    sign = -1 if text.startswith(("-", "−")) else 1
    return sign * parse_hours(text.lstrip("+-−"))


def adjust_block(
    db: Session,
    policy: Policy,
    block_id: int,
    change_minutes: int,
    reason: str,
    *,
    actor: str,
    now: datetime,
) -> tuple[HourBlock, Customer, int]:
    """Add or take hours from a block, with the reason; the drawdown is derived again (time
    the block no longer covers becomes overage). Returns the block, its customer and the
    minutes it had before."""
    if not reason.strip():
        raise InputError("give the reason for the adjustment (it is kept with it)")
    block, customer = _block(db, block_id)
    before = block.minutes
    after = before + change_minutes
    if after <= 0:
        raise InputError(
            f"block #{block.id} has {format_minutes(before)}: it cannot go to "
            f"{'-' if after < 0 else ''}{format_minutes(abs(after))} (void a block nothing is "
            "drawn from instead)"
        )
    if after > MAX_BLOCK_HOURS * 60:
        raise InputError(f"a block holds at most {MAX_BLOCK_HOURS} hours")
    block.minutes = after
    AuditLog.record(
        db,
        actor=actor,
        action="block.adjust",
        subject_kind=SUBJECT,
        subject_id=block.id,
        at=now,
        customer_id=customer.id,
        before={"customer": customer.name, "minutes": before},
        after={"minutes": after},
        reason=reason.strip(),
    )
    after_drawdown(db, policy, customer, now)
    return block, customer, before
