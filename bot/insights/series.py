"""The data the charts draw (bot/insights/charts.py), read from the ledger and the SLA clocks.

Kept apart from the drawing so a handler reads inside its transaction and draws after it,
and so the charts are tested from known data without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.billing.blocks import BlockStatement, BlockStatus
from bot.billing.ledger import full_ledger
from bot.insights.charts import AttainmentChart, BalanceChart, BlockSeries, MonthAttainment, Point
from bot.insights.outlook import blocks_forecast
from bot.policy.model import Policy, provider_today
from bot.sla.goals import month_sla
from bot.sla.targets import plan_for
from store.models import Customer

# The chart stays readable with this many blocks; older expired ones are left out first.
MAX_BLOCKS = 6
# An expired block is still shown this long after its expiry (its forfeit is news).
EXPIRED_SHOWN = timedelta(days=120)
ATTAINMENT_MONTHS = 12


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def block_history(
    statement: BlockStatement, drawn: Sequence[tuple[date, int]], today: date
) -> list[Point]:
    """Hours left in one block, from purchase: a point per day something was drawn, then
    today's (a live block) or the expiry's, where what is left drops to zero (forfeited)."""
    block = statement.block
    left = block.minutes
    points: list[Point] = [(block.purchased, hours(left))]
    for day, minutes in sorted(drawn):
        left -= minutes
        points.append((day, hours(left)))
    if statement.status == BlockStatus.EXPIRED:
        points.append((block.expires, hours(left)))
        points.append((block.expires, Decimal("0.00")))
    else:
        points.append((max(today, points[-1][0]), hours(left)))
    return points


def balance_chart(db: Session, policy: Policy, customer: Customer, now: datetime) -> BalanceChart:
    """Every live block and the recently expired ones, most recent last, each with its
    history, and the forecast's projection dashed from today to run-out or expiry."""
    today = provider_today(policy, now)
    ledger = full_ledger(db, policy, customer, now, as_of=today)
    forecast = blocks_forecast(db, policy, customer, now)
    projections = {f.block.id: f.series for f in forecast.blocks}
    shown = [
        s
        for s in ledger.allocation.blocks
        if s.status != BlockStatus.EXPIRED or s.block.expires >= today - EXPIRED_SHOWN
    ]
    shown = sorted(shown, key=lambda s: (s.block.purchased, int(s.block.id)))[-MAX_BLOCKS:]
    drawn: dict[str, dict[date, int]] = {}
    for drawdown in ledger.allocation.drawdowns:
        if drawdown.block_id is not None:
            days = drawn.setdefault(drawdown.block_id, {})
            days[drawdown.work_date] = days.get(drawdown.work_date, 0) + drawdown.minutes
    blocks = [
        BlockSeries(
            label=f"#{s.block.id} {_hours_label(s.block.minutes)}",
            purchased=s.block.purchased,
            expires=s.block.expires,
            hours=hours(s.block.minutes),
            history=block_history(s, list(drawn.get(s.block.id, {}).items()), today),
            projection=projections.get(s.block.id, ()),
            forfeited=hours(s.forfeited_minutes),
        )
        for s in shown
    ]
    return BalanceChart(
        customer=customer.name,
        timezone=str(policy.timezone),
        currency=policy.currency,
        hourly_rate=policy.at(today).hourly_rate,  # the rate in force today
        today=today,
        blocks=blocks,
    )


def _hours_label(minutes: int) -> str:
    whole, rest = divmod(minutes, 60)
    return f"{whole}h" if not rest else f"{whole}h {rest}m"


def last_months(today: date, count: int) -> list[tuple[int, int]]:
    """The `count` months ending with today's, oldest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def attainment_chart(
    db: Session, policy: Policy, customer: Customer, now: datetime, count: int = ATTAINMENT_MONTHS
) -> AttainmentChart:
    """Each of the last `count` months (this one so far): the share of first responses
    within the plan's goal (else within target), and the goal."""
    today = provider_today(policy, now)
    plan = plan_for(policy, customer)
    months = []
    for year, month in last_months(today, count):
        result = month_sla(db, policy, customer, year, month, now)
        ratio = result.goal_ratio if result.goal is not None else result.within_target_ratio
        months.append(MonthAttainment(date(year, month, 1), ratio, result.tickets))
    return AttainmentChart(
        customer=customer.name,
        timezone=str(policy.timezone),
        goal_share=plan.goal.share if plan.goal else None,
        goal=months_goal(policy, customer),
        months=months,
    )


def months_goal(policy: Policy, customer: Customer) -> str | None:
    """The plan's goal in words, as `/hourglass sla` says it."""
    plan = plan_for(policy, customer)
    if plan.goal is None:
        return None
    whole = int(plan.goal.first_response.total_seconds() // 60)
    return f"{plan.goal.share:.0%} of first responses within {_hours_label(whole)}"
