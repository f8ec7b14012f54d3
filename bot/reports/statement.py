"""The customer's monthly statement (SPEC §6): its shape, as TypedDicts, and how it is built.

Each section comes from its own function so each feature owns its part; `bot.reports.render`
turns a statement into JSON, CSV or text.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NotRequired, TypedDict, cast

from sqlalchemy.orm import Session

from bot.billing.ledger import Ledger, ledger_for, month_draws
from bot.billing.timelog import StatementDay, statement_days
from bot.bookings.charges import sessions_rows, training_days, training_days_by_month
from bot.calls import training
from bot.calls.calls import month_rows
from bot.policy.model import Policy, provider_today
from bot.policy.pricing import hourly_rate, price_by_day, training_rate
from bot.sla.goals import month_sla
from store.models import Customer


class SessionRow(TypedDict):
    id: str
    start: str  # ISO 8601, UTC
    minutes: int
    engineers: int
    kind: str
    status: str  # booked, held, cancelled, late_cancelled, no_show or moved_late
    billed_minutes: int
    waived: NotRequired[WaivedMark]  # a late-cancellation or no-show charge waived


class WaivedMark(TypedDict):
    by: str
    on: str  # ISO 8601, UTC
    reason: str
    minutes: int  # the charge waived (billed as 0)


class BlockRow(TypedDict):
    id: str
    hours: int | float
    purchased: str
    expires: str
    used_minutes: int
    remaining_minutes: int
    forfeited_minutes: int
    status: str  # active, exhausted or expired


class CallRow(TypedDict):
    caller: str
    calls: int
    seconds: int
    long_calls: int
    allowance_minutes: int
    status: str  # within, over_allowance, review or not_covered
    avg_quality: float | None


class TrainingCallRow(TypedDict):
    """A long call a manager billed as training (seed 000), at the training rate."""

    id: str
    caller: str
    start: str  # ISO 8601, UTC
    seconds: int
    billed_minutes: int
    amount: str
    billed_by: str  # the manager's Slack user id
    billed_at: str  # ISO 8601, UTC


class SlaSummary(TypedDict):
    tickets: int
    responded: int
    breached: int
    within_target_ratio: float | None
    p90_first_response_minutes: int | None


class AdjustmentRow(TypedDict):
    """A change to an issued month's figures, carried into the next open month (issue 16):
    signed deltas, already included in the carrying month's totals."""

    month: str  # the issued month whose figures moved, YYYY-MM
    billed_minutes: int
    overage_minutes: int
    amount: str  # signed, e.g. "-45.00"
    reason: str


class IssuedMark(TypedDict):
    on: str  # ISO 8601, UTC
    by: str  # the manager's Slack user id, or "cli"


class Statement(TypedDict):
    """The statement, in SPEC §6's key order (the JSON is rendered in this order)."""

    customer: str
    month: str
    currency: str
    plan: str
    as_of: str
    days: list[StatementDay]
    sessions: list[SessionRow]
    # The month's days, sessions (training too), cancellation charges and calls billed as
    # training.
    billed_minutes: int
    overage_minutes: int
    amount: str
    # What `amount` is made of (issue 13: the PDF statement shows both), each rounded on its
    # own for display; `amount` is their sum rounded once. Absent from statements issued
    # before they were added.
    overage_amount: NotRequired[str]
    training_amount: NotRequired[str]
    blocks: list[BlockRow]
    calls: list[CallRow]
    training_calls: list[TrainingCallRow]
    sla: SlaSummary
    # Added by bot/reports/issued.py: adjustments to earlier issued months (every statement
    # it returns), and who issued this one, when (issued statements only).
    adjustments: NotRequired[list[AdjustmentRow]]
    issued: NotRequired[IssuedMark]


# The bookings, calls and SLA features build their rows as plain dicts of exactly these shapes;
# they sit below this package, so the TypedDicts cannot move down to them without a new home.


def month_dates(year: int, month: int) -> tuple[date, date]:
    """First day and last day of the month."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _in_month(day: date, first: date, last: date) -> bool:
    return first <= day <= last


def days_section(
    db: Session, policy: Policy, customer: Customer, first: date, last: date
) -> list[StatementDay]:
    """Ad-hoc billable work per day: logged and billed minutes."""
    return statement_days(db, policy, customer, first, last)


def sessions_section(
    db: Session,
    policy: Policy,
    customer: Customer,
    first: date,
    last: date,
    now: datetime | None = None,
) -> list[SessionRow]:
    """Booked sessions starting in the month, with their status as of `now` (bot/bookings/)."""
    rows = sessions_rows(db, policy, customer, first, now or _after(last, policy))
    return cast(list[SessionRow], rows)


def calls_section(
    db: Session, policy: Policy, customer: Customer, first: date, last: date
) -> list[CallRow]:
    """Phone calls per caller against the fair-use allowance (issue 4)."""
    return cast(list[CallRow], month_rows(db, policy, customer, first.year, first.month))


def training_calls_section(
    db: Session, policy: Policy, customer: Customer, first: date
) -> list[TrainingCallRow]:
    """Calls of the month billed as training, each once, at the training rate."""
    rows = training.statement_rows(db, policy, customer, first.year, first.month)
    return cast(list[TrainingCallRow], rows)


def sla_section(
    db: Session,
    policy: Policy,
    customer: Customer,
    first: date,
    last: date,
    now: datetime | None = None,
) -> SlaSummary:
    """SLA results for tickets opened in the month, as of `now` (else the month's end)."""
    result = month_sla(db, policy, customer, first.year, first.month, now or _after(last, policy))
    return cast(SlaSummary, result.statement())


def training_billed(
    db: Session,
    policy: Policy,
    customer: Customer,
    first: date,
    last: date,
    now: datetime | None = None,
    calls: list[TrainingCallRow] | None = None,
) -> tuple[int, Decimal]:
    """Minutes billed outside the hour blocks (training sessions, and calls billed as
    training), and their price at the training rate: the sessions' minutes priced together,
    each call as its statement row says. Each at the rate of the version in force on the
    session's or call's day (issue 16). `calls`: the month's `training_calls_section`, when
    the caller has it already."""
    days = training_days(db, policy, customer, first, now or _after(last, policy))
    if calls is None:
        calls = training_calls_section(db, policy, customer, first)
    return _training_priced(policy, days, calls)


def _training_priced(
    policy: Policy, days: list[tuple[date, int]], calls: list[TrainingCallRow]
) -> tuple[int, Decimal]:
    return (
        sum(minutes for _, minutes in days) + sum(call["billed_minutes"] for call in calls),
        price_by_day(policy, days, training_rate)
        + sum((Decimal(call["amount"]) for call in calls), Decimal(0)),
    )


def _training_by_month(
    db: Session, policy: Policy, customer: Customer, first: date, last: date, now: datetime
) -> dict[date, tuple[int, Decimal]]:
    """`training_billed` for each month from `first`'s to `last`'s that has training, by
    the month's first day: one read per kind for them all, not one per month (issue 11)."""
    days = training_days_by_month(db, policy, customer, first, last, now)
    calls = training.statement_rows_by_month(db, policy, customer, first, last)
    return {
        month: _training_priced(
            policy, days.get(month, []), cast(list[TrainingCallRow], calls.get(month, []))
        )
        for month in days.keys() | calls.keys()
    }


def _after(last: date, policy: Policy) -> datetime:
    """The end of the month's last day in the provider's timezone."""
    return datetime.combine(last + timedelta(days=1), datetime.min.time(), policy.timezone)


def blocks_section(ledger: Ledger, last: date) -> list[BlockRow]:
    """Blocks bought by the month's end, with their balance as of the statement's date."""
    rows = []
    for statement in sorted(
        ledger.allocation.blocks, key=lambda s: (s.block.purchased, int(s.block.id))
    ):
        block = statement.block
        if block.purchased > last:
            continue  # bought after the month: not part of its statement
        rows.append(
            BlockRow(
                id=block.id,
                hours=_hours(block.minutes),
                purchased=block.purchased.isoformat(),
                expires=block.expires.isoformat(),
                used_minutes=statement.used_minutes,
                remaining_minutes=statement.remaining_minutes,
                forfeited_minutes=statement.forfeited_minutes,
                status=str(statement.status),
            )
        )
    return rows


def _hours(minutes: int) -> int | float:
    hours = minutes / 60
    return int(hours) if hours == int(hours) else round(hours, 2)


def build_statement(
    db: Session, policy: Policy, customer: Customer, year: int, month: int, now: datetime
) -> Statement:
    return statement_and_ledger(db, policy, customer, year, month, now)[0]


def statement_and_ledger(
    db: Session, policy: Policy, customer: Customer, year: int, month: int, now: datetime
) -> tuple[Statement, Ledger]:
    """`build_statement`, and the ledger it was drawn from: it also holds what every month
    before this one drew, which the adjustments need (`ended_month_figures`)."""
    first, last = month_dates(year, month)
    as_of = min(last, provider_today(policy, now))
    ledger = ledger_for(
        db, policy, customer, now, as_of=max(as_of, first - timedelta(days=1)), since=first
    )
    training_calls = training_calls_section(db, policy, customer, first)
    billed, overage, amount, training_amount = _figures(
        db, policy, customer, ledger, (first, last), now, training_calls
    )
    statement = Statement(
        customer=customer.name,
        month=f"{year:04d}-{month:02d}",
        currency=policy.currency,
        plan=customer.plan,
        as_of=as_of.isoformat(),
        days=days_section(db, policy, customer, first, last),
        sessions=sessions_section(db, policy, customer, first, last, now=now),
        billed_minutes=billed,
        overage_minutes=overage,
        amount=f"{amount:.2f}",
        overage_amount=f"{amount - training_amount:.2f}",
        training_amount=f"{training_amount:.2f}",
        blocks=blocks_section(ledger, last),
        calls=calls_section(db, policy, customer, first, last),
        training_calls=training_calls,
        sla=sla_section(db, policy, customer, first, last, now=now),
    )
    return statement, ledger


def _figures(
    db: Session,
    policy: Policy,
    customer: Customer,
    ledger: Ledger,
    month: tuple[date, date],
    now: datetime,
    training_calls: list[TrainingCallRow],
) -> tuple[int, int, Decimal, Decimal]:
    """A month's billed minutes, overage minutes, amount, and the training part of that
    amount, from a ledger covering it."""
    first, last = month
    month_charges = [c for c in ledger.charges if _in_month(c.work_date, first, last)]
    overage_days = [
        (d.work_date, d.minutes)
        for d in ledger.allocation.drawdowns
        if d.block_id is None and _in_month(d.work_date, first, last)
    ]
    training_minutes, training_amount = training_billed(
        db, policy, customer, first, last, now=now, calls=training_calls
    )
    # Each day's overage at the hourly rate in force that day (issue 16).
    amount = price_by_day(policy, overage_days, hourly_rate) + training_amount
    billed = sum(c.minutes for c in month_charges) + training_minutes
    return billed, sum(minutes for _, minutes in overage_days), amount, training_amount


def ended_month_figures(
    db: Session,
    policy: Policy,
    customer: Customer,
    months: list[tuple[int, int]],
    now: datetime,
    ledger: Ledger | None = None,
) -> dict[tuple[int, int], tuple[int, int, Decimal]]:
    """`build_statement`'s billed minutes, overage minutes and amount for each of these
    ended months (oldest first): their draws from the ledger's state kept past the last of
    them (no pass over the months: issue 11), their training from one read per kind.
    `ledger`: the next month's statement's own (`statement_and_ledger`), which holds them."""
    if not months:
        return {}
    first, _ = month_dates(*months[0])
    _, last = month_dates(*months[-1])
    draws = month_draws(db, policy, customer, now, first, last, ledger)
    training_parts = _training_by_month(db, policy, customer, first, last, now)
    figures = {}
    for year, month in months:
        draw = draws[date(year, month, 1)]
        training_minutes, training_amount = training_parts.get(
            date(year, month, 1), (0, Decimal(0))
        )
        # Each day's overage at the hourly rate in force that day (issue 16).
        overage = price_by_day(policy, draw.overage, hourly_rate) if draw.overage else 0
        amount = overage + training_amount
        figures[(year, month)] = (
            draw.billed_minutes + training_minutes,
            draw.overage_minutes,
            amount,
        )
    return figures
