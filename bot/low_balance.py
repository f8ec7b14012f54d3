"""The block_low alert: a customer's prepaid balance has fallen to the threshold.

Every drawdown can cause it (a day's logged time, a held session, a late-cancellation or
no-show charge, a block expiring), so each of those calls `check_low_balance` in the same
transaction as the change. The key includes the newest block, so buying more re-arms it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.billing import format_minutes, low_balance
from bot.ledger import Ledger, ledger_for
from bot.outbox import alert_channel, raise_alert
from bot.policy import Policy
from store.models import Customer
from store.repositories import HourBlocks


def low_balance_key(customer: Customer, newest_block_id: int) -> str:
    # Keyed by the newest block, so buying a block re-arms the alert.
    return f"block_low:{customer.id}:{newest_block_id}"


def raise_low_balance_alert(
    db: Session, policy: Policy, customer: Customer, ledger: Ledger, now: datetime
) -> bool:
    """Raise block_low once per purchase when the unexpired balance is at/under the threshold."""
    blocks = HourBlocks.for_customer(db, customer.id)
    if not blocks:
        return False
    threshold = int(policy.billing.block_low_threshold.total_seconds()) // 60
    remaining = ledger.allocation.remaining_minutes
    if not low_balance(remaining, threshold):
        return False
    newest = max(blocks, key=lambda b: b.id)
    live = [s for s in ledger.allocation.blocks if s.remaining_minutes > 0]
    where = ", ".join(
        f"#{s.block.id}: {format_minutes(s.remaining_minutes)} until {s.block.expires.isoformat()}"
        for s in live
    )
    text = (
        f":battery: *{customer.name}* is low on prepaid hours: "
        f"{format_minutes(remaining)} left (threshold {format_minutes(threshold)})"
        + (f" — {where}." if where else "; every block is used up or expired.")
        + f" Latest block #{newest.id}. Further 1-on-1 time bills as overage at "
        f"{policy.hourly_rate} {policy.currency}/h once it runs out."
    )
    return raise_alert(
        db,
        key=low_balance_key(customer, newest.id),
        kind="block_low",
        channel=alert_channel(customer, policy.alert_channel),
        text=text,
        now=now,
        customer_id=customer.id,
        data={"remaining_minutes": remaining, "threshold_minutes": threshold},
    )


def check_low_balance(db: Session, policy: Policy, customer: Customer, now: datetime) -> bool:
    """Raise block_low if the customer's balance, as of now, is at or under the threshold."""
    return raise_low_balance_alert(db, policy, customer, ledger_for(db, policy, customer, now), now)
