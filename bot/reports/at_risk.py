"""Customers at risk, for a manager's App Home: one line per reason.

- low on prepaid hours: the unexpired balance at or under `block_low_threshold` (the same
  rule, and the same ledger, as the block_low alert and /balance);
- a block with hours left that expires within 14 days (the first expiry warning);
- an unresolved ticket past its first-response or resolution target (breached).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy.orm import Session

from bot.billing.blocks import low_balance
from bot.billing.ledger import Ledger, ledger_for
from bot.policy.model import Policy, provider_today
from bot.sla import tickets as ticket_service
from bot.sla.explain import escape, format_when
from bot.units import format_minutes
from store.models import Customer
from store.repositories.core import Customers, HourBlocks

EXPIRY_WINDOW = timedelta(days=14)


def at_risk_lines(db: Session, policy: Policy, now: datetime, zone: tzinfo) -> list[str]:
    """Every at-risk line, customers by name: low balances, expiring blocks, breaches."""
    ledgers = {c.id: ledger_for(db, policy, c, now) for c in _with_blocks(db)}
    return [
        *_low_lines(policy, ledgers),
        *_expiring_lines(db, policy, ledgers, now),
        *_breach_lines(db, policy, now, zone),
    ]


def _with_blocks(db: Session) -> list[Customer]:
    return [
        c
        for c in Customers.all(db)
        if c.archived_at is None and HourBlocks.for_customer(db, c.id)  # archived: not at risk
    ]


def _low_lines(policy: Policy, ledgers: dict[int, Ledger]) -> list[str]:
    threshold = int(policy.billing.block_low_threshold.total_seconds()) // 60
    return [
        f"• :battery: *{ledger.customer.name}*: {_left(ledger.allocation.remaining_minutes)} "
        f"(threshold {format_minutes(threshold)})"
        for ledger in ledgers.values()
        if low_balance(ledger.allocation.remaining_minutes, threshold)
    ]


def _left(minutes: int) -> str:
    return (
        f"{format_minutes(minutes)} of prepaid hours left" if minutes else "no prepaid hours left"
    )


def _expiring_lines(
    db: Session, policy: Policy, ledgers: dict[int, Ledger], now: datetime
) -> list[str]:
    today = provider_today(policy, now)
    lines = []
    for block in HourBlocks.expiring_between(db, today, today + EXPIRY_WINDOW):
        ledger = ledgers.get(block.customer_id)
        if ledger is None:
            continue
        left = ledger.allocation.statement_for(str(block.id)).remaining_minutes
        if left == 0:
            continue  # nothing left to lose
        days = (block.expires - today).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        lines.append(
            f"• :hourglass: *{ledger.customer.name}*: {format_minutes(left)} in block "
            f"#{block.id} expire {when} ({block.expires.isoformat()})"
        )
    return lines


def _breach_lines(db: Session, policy: Policy, now: datetime, zone: tzinfo) -> list[str]:
    lines = []
    for ticket, customer, clocks in ticket_service.unresolved(db, policy, None, now, limit=None):
        breached = [c for c in clocks.clocks if c.state(now) == "breached"]
        if not breached:
            continue
        first = breached[0]
        lines.append(
            f"• :rotating_light: *{customer.name}*: ticket #{ticket.id} "
            f"({escape(ticket.subject)}) breached its {first.name} target at "
            f"{format_when(first.breached_at, zone, now=now)}"
        )
    return lines
