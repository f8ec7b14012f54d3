"""Sweep rules for prepaid hour blocks: expiring soon (14/7/1 days), expired (forfeiture).

Both read only what is due through an index on hour_blocks: `expires` for the warnings,
(`expired_recorded_at`, `expires`) for the expiries. Balances come from the ledger, so they
match /balance and the statement exactly.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.alerts.outbox import NewAlert, raise_alerts
from bot.billing.blocks import (
    BlockStatement,
    block_expiry_warnings,
    expiry_alert_key,
    trailing_weeks_start,
)
from bot.billing.drawdown import (
    block_label,
    expired_text,
    forfeit_state,
    low_balance_key,
    raise_low_balance_alert,
)
from bot.billing.hours import block_terms
from bot.billing.ledger import Ledger, ledgers_for, share_unchanged
from bot.policy.model import Policy, provider_today
from bot.units import format_minutes
from store.models import Customer, HourBlock
from store.repositories.core import Alerts, BlockRow, Customers, HourBlocks, lock_customers
from store.repositories.time import BlockExpiries

EXPIRED_BATCH = 200


def sweep_block_expiring(db: Session, policy: Policy, now: datetime) -> int:
    """Warn 14, 7 and 1 days before a block with hours left expires; each warning once."""
    days_before = policy.billing.block_expiry_warning_days
    if not days_before:
        return 0
    today = provider_today(policy, now)
    due: list[tuple[HourBlock, int, str]] = []
    for block in HourBlocks.expiring_between(db, today, today + timedelta(days=max(days_before))):
        reached = block_expiry_warnings(block_terms(block), today, days_before)
        if reached:
            # A sweep that runs late sends only the most urgent warning reached, not a backlog.
            due.append((block, reached[-1], expiry_alert_key(str(block.id), reached[-1])))
    # The warnings already sent, and the customers of those not, in one read each: the
    # steady-state sweep is two indexed lookups, however many blocks are in the window.
    sent = Alerts.by_keys(db, [key for _, _, key in due]) if due else {}
    due = [(block, threshold, key) for block, threshold, key in due if key not in sent]
    customers = Customers.by_ids(db, (block.customer_id for block, _, _ in due))
    # Their ledgers in a few reads for the whole batch, not a ledger's reads a customer; from
    # the forecasts' window, so block_expired and forfeit_risk share them (`ledgers_for`).
    since = trailing_weeks_start(today)
    ledgers = ledgers_for(db, policy, customers.values(), now, as_of=today, since=since)
    warnings = []
    for block, threshold, key in due:
        ledger = ledgers[block.customer_id]
        statement = ledger.allocation.statement_for(str(block.id))
        if statement.remaining_minutes == 0:
            continue  # nothing left to lose
        days_left = (block.expires - today).days
        warnings.append(
            NewAlert(
                key=key,
                kind="block_expiring",
                customer=ledger.customer,
                text=_expiring_text(ledger.customer, block, statement, days_left),
                data={"block_id": block.id, "days_before": threshold},
            )
        )
    return sum(raise_alerts(db, policy, warnings, now))  # one INSERT for the batch


def _expiring_text(
    customer: Customer, block: HourBlock, statement: BlockStatement, days_left: int
) -> str:
    when = "tomorrow" if days_left == 1 else f"in {days_left} days"
    return (
        f":hourglass: *{customer.name}*: hour block {block_label(block)} expires {when}, on "
        f"{block.expires.isoformat()}, with {format_minutes(statement.remaining_minutes)} of "
        f"{format_minutes(block.minutes)} unused ({format_minutes(statement.used_minutes)} "
        "used). Unused hours are forfeited at expiry."
    )


def sweep_block_expired(db: Session, policy: Policy, now: datetime) -> int:
    """Record each expired block's forfeited remainder once, and say so in the channel."""
    today = provider_today(policy, now)
    blocks = BlockExpiries.unrecorded_expired(db, today, EXPIRED_BATCH)
    # The forfeit is read from the ledger: a /log back-dated into the block's validity at
    # the same moment must be in it, or recorded after it (lock_customers, in order).
    lock_customers(db, (block.customer_id for block in blocks))
    customers = Customers.by_ids(db, (block.customer_id for block in blocks))
    # The batch's ledgers in a few reads, not six a block, or none: block_expiring's, shared
    # (the same window as its and forfeit_risk's). Recording a forfeit and raising alerts
    # change nothing a ledger reads, so one ledger a customer serves all its blocks.
    since = trailing_weeks_start(today)
    ledgers = ledgers_for(db, policy, customers.values(), now, as_of=today, since=since)
    # The blocks in use, for the low-balance check: those the ledger drew on, not read again.
    in_use = {i: _in_use(ledger) for i, ledger in ledgers.items()}
    forfeits, expired = [], []
    for block in blocks:
        customer = customers[block.customer_id]
        statement = ledgers[customer.id].allocation.statement_for(str(block.id))
        forfeits.append((block, statement.forfeited_minutes))
        expired.append(
            NewAlert(
                key=f"block_expired:{block.id}",
                kind="block_expired",
                customer=customer,
                text=expired_text(customer, block, statement),
                state=forfeit_state(statement.forfeited_minutes),
                data={"block_id": block.id, "forfeited_minutes": statement.forfeited_minutes},
            )
        )
    # The batch's forfeits in one UPDATE and its alerts in one INSERT, not one each a block.
    BlockExpiries.record_all(db, forfeits, now)
    # The forfeits bump the versions but change nothing a ledger reads: forfeit_risk, next,
    # takes these ledgers as they are (the customers are locked, so no one else wrote).
    share_unchanged(db, policy, now, ledgers.values())
    raised = sum(raise_alerts(db, policy, expired, now))
    # The expiries may have taken a customer's balance under the threshold. Checked once a
    # customer (a second check on the same ledger would find the alert as the first left
    # it), with the batch's block_low alerts read at once: the customers are locked, so no
    # one else moves them meanwhile.
    checked = list({block.customer_id: customers[block.customer_id] for block in blocks}.values())
    keys = [low_balance_key(c, max(b.id for b in in_use[c.id])) for c in checked if in_use[c.id]]
    known = Alerts.by_keys(db, keys) if keys else {}
    for customer in checked:
        raised += raise_low_balance_alert(
            db, policy, customer, ledgers[customer.id], now, blocks=in_use[customer.id],
            known=known,
        )  # fmt: skip
    return raised


def _in_use(ledger: Ledger) -> list[BlockRow]:
    """The customer's blocks in use (not voided) as `HourBlocks.terms_for` reads them: those
    its ledger was derived from, one statement each."""
    customer_id = ledger.customer.id
    return [
        BlockRow(int(s.block.id), customer_id, s.block.minutes, s.block.purchased, s.block.expires)
        for s in ledger.allocation.blocks
    ]
