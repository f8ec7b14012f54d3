"""A customer's balance: what each block has left, this month's billing so far, and what is
not yet invoiced across every month still open (ended but not issued, and this one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.billing.ledger import first_charge_day
from bot.bookings.listing import upcoming_lines
from bot.calls.calls import balance_lines as call_balance_lines
from bot.calls.fair_use import format_call_time
from bot.policy.model import Policy, provider_today
from bot.reports.issued import adjustments_into, month_key, monthly_statement, previous_month
from bot.reports.statement import BlockRow, Statement, ended_month_figures
from bot.units import format_minutes
from store.models import Customer
from store.repositories.statements import IssuedStatements


@dataclass(frozen=True)
class OpenMonth:
    """A month not yet issued, with what it has to invoice (overage, training, adjustments)."""

    year: int
    month: int
    amount: Decimal
    current: bool  # the month we are in: its figures are "so far"

    @property
    def label(self) -> str:
        return date(self.year, self.month, 1).strftime("%b %Y")


@dataclass
class Balance:
    blocks: list[BlockRow]
    remaining_minutes: int
    month_billed_minutes: int
    month_overage_minutes: int
    month_amount: str
    extra_lines: list[str] = field(default_factory=list)
    open_months: list[OpenMonth] = field(default_factory=list)

    @property
    def uninvoiced(self) -> Decimal:
        """What every open month has to invoice, together."""
        return sum((m.amount for m in self.open_months), Decimal(0))

    @property
    def earlier_open(self) -> list[OpenMonth]:
        """Open months before this one that have something to invoice."""
        return [m for m in self.open_months if not m.current and m.amount]


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
        open_months=_earlier_open_months(db, policy, customer, now, today)
        + [OpenMonth(today.year, today.month, Decimal(statement["amount"]), current=True)],
    )


def _months(first: date, last: date) -> list[tuple[int, int]]:
    """Every (year, month) from `first`'s month to `last`'s, oldest first."""
    months, (year, month) = [], (first.year, first.month)
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return months


def _earlier_open_months(
    db: Session, policy: Policy, customer: Customer, now: datetime, today: date
) -> list[OpenMonth]:
    """Months before this one that were never issued, from the customer's first record (or
    their creation, if earlier): a back-dated entry into last month is still to invoice until
    that month is issued, so the balance must say so. Issued months are not open: a change
    to one is carried into this month's figures as an adjustment."""
    charged = first_charge_day(db, policy, customer, now)
    first = min([provider_today(policy, customer.created_at), *([charged] if charged else [])])
    issued = IssuedStatements.months(db, customer.id)
    months = [m for m in _months(first, today)[:-1] if month_key(*m) not in issued]
    # One ledger for every open month (their own figures), not a statement each: a customer
    # who never issues a month would otherwise cost a full statement per month of history.
    figures = ended_month_figures(db, policy, customer, months, now)
    found = []
    for year, month in months:
        amount = figures[(year, month)][2]
        if month_key(*previous_month(year, month)) in issued:  # it carries their changes
            adjustments = adjustments_into(db, policy, customer, year, month, now)
            amount += sum((Decimal(a["amount"]) for a in adjustments), Decimal(0))
        found.append(OpenMonth(year, month, amount, current=False))
    return found


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
