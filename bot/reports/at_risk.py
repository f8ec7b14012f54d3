"""Customers at risk, for a manager's App Home: one line per reason.

- low on prepaid hours: the unexpired balance at or under `block_low_threshold` (the same
  rule, and the same ledger, as the block_low alert and /balance);
- a block with hours left that expires within 14 days (the first expiry warning);
- an unresolved ticket past its first-response or resolution target (breached).

And what the forecasts see coming (issue 13, `forecast_risks`), one entry per customer, most
urgent first: a block projected to forfeit hours (the forfeit_risk rule), the SLA goal's
error budget spent or nearly (the sla_budget rule), a caller under fair-use review or
projected into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy.orm import Session

from bot.billing.blocks import low_balance
from bot.billing.ledger import Ledger, ledger_for
from bot.calls.calls import month_rows
from bot.calls.fair_use import Status
from bot.insights.alerts import budget_at_risk
from bot.insights.outlook import blocks_forecast, callers_at_risk, forfeit_risks, sla_month
from bot.parsing import month_bounds
from bot.policy.model import Policy, provider_today
from bot.sla import tickets as ticket_service
from bot.sla.explain import escape, format_when
from bot.units import format_minutes
from store.models import Customer
from store.repositories.core import Customers, HourBlocks
from store.repositories.insights import customers_with_calls, customers_with_tickets

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


# --- what the forecasts see coming (issue 13) ---------------------------------------------

CHART_BALANCE = "chart_balance"  # the Chart button's action; its value is the customer


@dataclass(frozen=True)
class CustomerRisk:
    """A customer the forecasts flag: why, and in how many days the soonest risk lands
    (0: it already has)."""

    customer: str
    reasons: tuple[str, ...]
    days_left: int


def forecast_risks(db: Session, policy: Policy, now: datetime) -> list[CustomerRisk]:
    """Customers at forfeit risk, at their SLA budget or with a caller in (or headed for)
    fair-use review, most urgent first, then by name."""
    today = provider_today(policy, now)
    found: dict[str, list[tuple[int, str]]] = {}
    window = today + timedelta(days=policy.insights.forfeit_risk_window_days)
    forfeiting = {b.customer_id for b in HourBlocks.expiring_between(db, today, window)}
    month = month_bounds(today.year, today.month, policy.timezone)
    # One statement each finds who has tickets or calls this month: the rest cost nothing.
    ticketed, called = (
        set(customers_with_tickets(db, *month)),
        set(customers_with_calls(db, *month)),
    )
    for customer in Customers.all(db):
        if customer.archived_at is not None:
            continue
        reasons = found.setdefault(customer.name, [])
        if customer.id in forfeiting:
            reasons.extend(_forfeit_reasons(db, policy, customer, now, today))
        if customer.id in ticketed:
            reasons.extend(_sla_reasons(db, policy, customer, now))
        if customer.id in called:
            reasons.extend(_caller_reasons(db, policy, customer, now, today))
    risks = [
        CustomerRisk(name, tuple(text for _, text in sorted(r)), min(days for days, _ in r))
        for name, r in found.items()
        if r
    ]
    return sorted(risks, key=lambda risk: (risk.days_left, risk.customer))


def _forfeit_reasons(
    db: Session, policy: Policy, customer: Customer, now: datetime, today: date
) -> list[tuple[int, str]]:
    forecast = blocks_forecast(db, policy, customer, now)
    reasons = []
    for block_id in forfeit_risks(policy, forecast):
        projected = forecast.for_block(block_id)
        days = (projected.block.expires - today).days
        reasons.append(
            (
                days,
                f":hourglass_flowing_sand: block #{block_id}: {projected.forfeit_hours}h "
                f"projected to be forfeited on {projected.block.expires.isoformat()}",
            )
        )
    return reasons


def _sla_reasons(
    db: Session, policy: Policy, customer: Customer, now: datetime
) -> list[tuple[int, str]]:
    outlook = sla_month(db, policy, customer, now).outlook
    if outlook is None or not budget_at_risk(policy, outlook):
        return []
    if outlook.lost:
        return [(0, ":x: SLA goal lost for the month")]
    if outlook.budget == 0:
        return [(0, ":rotating_light: SLA error budget spent: the next miss loses the goal")]
    return [(1, f":warning: SLA error budget: {format_misses(outlook.budget)} left")]


def format_misses(count: int) -> str:
    return "1 miss" if count == 1 else f"{count} misses"


def _caller_reasons(
    db: Session, policy: Policy, customer: Customer, now: datetime, today: date
) -> list[tuple[int, str]]:
    rows = month_rows(db, policy, customer, today.year, today.month)
    reviewed = sorted(r["caller"] for r in rows if r["status"] is Status.REVIEW)
    reasons = [(0, f":telephone_receiver: {caller} under fair-use review") for caller in reviewed]
    if not rows:
        return reasons
    for caller in callers_at_risk(db, policy, customer, now):
        if caller.projected_review and caller.caller not in reviewed:
            days = (caller.passes_on - today).days if caller.passes_on else 0
            reasons.append(
                (days, f":telephone_receiver: {caller.caller} projected into fair-use review")
            )
    return reasons
