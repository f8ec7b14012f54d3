"""A customer's balance: what each block has left, and this month's billing so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.bookings.listing import upcoming_lines
from bot.calls.calls import balance_lines as call_balance_lines
from bot.calls.fair_use import format_call_time
from bot.policy.model import Policy, provider_today
from bot.reports.issued import monthly_statement
from bot.reports.statement import BlockRow, Statement
from bot.units import format_minutes
from store.models import Customer


@dataclass
class Balance:
    blocks: list[BlockRow]
    remaining_minutes: int
    month_billed_minutes: int
    month_overage_minutes: int
    month_amount: str
    extra_lines: list[str] = field(default_factory=list)


def balance_for(db: Session, policy: Policy, customer: Customer, now: datetime) -> Balance:
    today = provider_today(policy, now)
    # This month is never issued (it has not ended), but it carries any adjustments to
    # issued months before it, so "to invoice" matches its statement.
    statement = monthly_statement(db, policy, customer, today.year, today.month, now).statement
    live = [b for b in statement["blocks"] if b["status"] != "expired"]
    return Balance(
        blocks=statement["blocks"],
        remaining_minutes=sum(b["remaining_minutes"] for b in live),
        month_billed_minutes=statement["billed_minutes"],
        month_overage_minutes=statement["overage_minutes"],
        month_amount=statement["amount"],
        extra_lines=_forfeited_lines(statement["blocks"])
        + upcoming_lines(db, policy, customer, now)
        + call_balance_lines(db, policy, customer, now)
        + _training_call_lines(statement, policy),
    )


def _training_call_lines(statement: Statement, policy: Policy) -> list[str]:
    """Long calls billed as training this month: out of the phone allowance, in the amount."""
    return [
        f"Billed as training: call #{c['id']} with {c['caller']}, "
        f"{format_call_time(c['seconds'])} → {format_minutes(c['billed_minutes'])} at "
        f"{policy.training_rate} {policy.currency}/h = {c['amount']} {policy.currency}."
        for c in statement["training_calls"]
    ]


def _forfeited_lines(blocks: list[BlockRow]) -> list[str]:
    """Hours lost at expiry are part of the balance story; say so rather than show only 0m."""
    return [
        f"Forfeited at expiry: #{b['id']} lost {format_minutes(b['forfeited_minutes'])} "
        f"unused on {b['expires']}."
        for b in blocks
        if b["forfeited_minutes"]
    ]
