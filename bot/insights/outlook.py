"""A customer's forecasts from the store: the ledger's billed days and live blocks, the
month's SLA tally and the month's calls, handed to the pure arithmetic of
`bot.insights.forecast`. Read-only: nothing here writes."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.billing.blocks import BlockStatus, trailing_weeks_start
from bot.billing.ledger import Ledger, ledger_for, ledgers_for
from bot.calls.calls import call_limits, month_rows
from bot.calls.fair_use import Status
from bot.insights.forecast import (
    WEEKS,
    BlocksForecast,
    CallerOutlook,
    LiveBlock,
    SlaOutlook,
    at_forfeit_risk,
    burn_rate,
    fair_use_outlook,
    forecast_blocks,
    sla_outlook,
    week_start,
)
from bot.parsing import month_bounds
from bot.policy.model import Policy, provider_today
from bot.sla.goals import MonthSla, month_sla, month_slas
from bot.units import format_minutes, plural
from store.models import Customer
from store.repositories.core import Customers
from store.repositories.insights import tickets_opened, tickets_opened_for

EARLIER_MONTHS = 2  # recent months that steady a month's expected ticket count


def blocks_forecast(
    db: Session, policy: Policy, customer: Customer, now: datetime
) -> BlocksForecast:
    """Each live block's run-out and forfeit at the trailing 8 weeks' burn rate."""
    today = provider_today(policy, now)
    window = week_start(today) - timedelta(weeks=WEEKS)
    return _forecast(policy, ledger_for(db, policy, customer, now, since=window), today)


def blocks_forecasts(
    db: Session, policy: Policy, customers: Iterable[Customer], now: datetime
) -> dict[int, BlocksForecast]:
    """`blocks_forecast` for a sweep's batch of customers, by id: their ledgers in a few
    reads for the whole batch (`ledgers_for`), not a ledger's reads a customer."""
    today = provider_today(policy, now)
    # The block rules' window too (`trailing_weeks_start`): the tick's three share ledgers.
    ledgers = ledgers_for(db, policy, customers, now, since=trailing_weeks_start(today))
    return {
        customer_id: _forecast(policy, ledger, today) for customer_id, ledger in ledgers.items()
    }


def _forecast(policy: Policy, ledger: Ledger, today: date) -> BlocksForecast:
    customer = ledger.customer
    billed: dict[date, int] = {}
    for charge in ledger.charges:
        billed[charge.work_date] = billed.get(charge.work_date, 0) + charge.minutes
    bought = [s.block.purchased for s in ledger.allocation.blocks]
    since = min([provider_today(policy, customer.created_at), *bought, *billed])
    live = [
        LiveBlock(s.block.id, s.block.purchased, s.block.expires, s.remaining_minutes)
        for s in ledger.allocation.blocks
        if s.status == BlockStatus.ACTIVE and s.remaining_minutes > 0
    ]
    return forecast_blocks(live, burn_rate(billed, today, since=since), today)


def forfeit_risks(policy: Policy, forecast: BlocksForecast) -> list[str]:
    """The ids of blocks that meet the `forfeit_risk` rule of the policy's `[insights]`."""
    threshold = int(policy.insights.forfeit_risk_threshold.total_seconds()) // 60
    return [
        f.block.id
        for f in forecast.blocks
        if at_forfeit_risk(
            f,
            forecast.today,
            threshold_minutes=threshold,
            window_days=policy.insights.forfeit_risk_window_days,
        )
    ]


def forecast_line(forecast: BlocksForecast) -> str:
    """/balance's one line: the burn rate and what it means for the blocks."""
    rate = forecast.rate
    if not forecast.blocks:
        return ""
    if rate.weeks == 0:
        pace = "no whole week of use yet"
    else:
        pace = f"{rate.hours_per_week}h a week billed (last {plural(rate.weeks, 'week')})"
    if forecast.runs_out is not None:
        outcome = f"prepaid hours run out around {forecast.runs_out.isoformat()}"
    else:
        lost = [f for f in forecast.blocks if f.forfeit_minutes > 0]
        outcome = "; ".join(
            f"#{f.block.id} would forfeit {f.forfeit_hours}h on {f.block.expires.isoformat()}"
            for f in lost
        )
    return f":crystal_ball: Forecast at {pace}: {outcome}."


# --- SLA ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaMonth:
    """A customer's month against the plan's goal, with its outlook (None: no goal)."""

    result: MonthSla
    outlook: SlaOutlook | None
    year: int
    month: int


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


def sla_month(
    db: Session, policy: Policy, customer: Customer, now: datetime, *, earlier: bool = True
) -> SlaMonth:
    """This month's SLA result and outlook; `earlier` counts the recent months' tickets too
    (they steady the expected ticket count)."""
    today = provider_today(policy, now)
    year, month = today.year, today.month
    result = month_sla(db, policy, customer, year, month, now)
    if result.goal_share is None:
        return SlaMonth(result, None, year, month)
    history: list[int] = []
    if earlier:
        for start, end in _earlier_months(policy, year, month):
            history.append(tickets_opened(db, customer.id, start, end))
    return _sla_month(result, today, history)


def sla_months(
    db: Session, policy: Policy, customers: Sequence[Customer], now: datetime
) -> dict[int, SlaMonth]:
    """`sla_month` (with the earlier months) for a sweep's batch of customers, by id: a few
    reads for the whole batch (`month_slas`, a count a month), not a few a customer."""
    today = provider_today(policy, now)
    year, month = today.year, today.month
    results = month_slas(db, policy, customers, year, month, now)
    goals = [customer.id for customer in customers if results[customer.id].goal_share is not None]
    counts = [
        tickets_opened_for(db, goals, start, end) if goals else {}
        for start, end in _earlier_months(policy, year, month)
    ]
    return {
        customer_id: (
            _sla_month(result, today, [count[customer_id] for count in counts])
            if result.goal_share is not None
            else SlaMonth(result, None, year, month)
        )
        for customer_id, result in results.items()
    }


def _earlier_months(policy: Policy, year: int, month: int) -> list[tuple[datetime, datetime]]:
    """The bounds of the `EARLIER_MONTHS` months before, oldest first."""
    bounds: list[tuple[datetime, datetime]] = []
    for _ in range(EARLIER_MONTHS):
        year, month = _month_before(year, month)
        bounds.insert(0, month_bounds(year, month, policy.timezone))
    return bounds


def _sla_month(result: MonthSla, today: date, history: list[int]) -> SlaMonth:
    year, month = today.year, today.month
    assert result.goal_share is not None
    outlook = sla_outlook(
        goal=result.goal_share,
        within=result.goal_within,
        missed=result.goal_missed,
        open_tickets=result.goal_open,
        day_of_month=today.day,
        days_in_month=calendar.monthrange(year, month)[1],
        earlier_months=history,
    )
    return SlaMonth(result, outlook, year, month)


def sla_months_all(db: Session, policy: Policy, now: datetime) -> list[SlaMonth]:
    """Every customer's month so far, as `/hourglass sla` lists them."""
    return [sla_month(db, policy, c, now) for c in Customers.all(db)]


def sla_lines(sla: SlaMonth) -> list[str]:
    """The month's error budget and projection, under the SLA report's goal line."""
    outlook = sla.outlook
    if outlook is None:
        return []
    so_far = (
        f"{outlook.within} of {outlook.decided} within the goal so far"
        if outlook.decided
        else "no first response decided yet"
    )
    return [f"  {so_far}; {budget_words(outlook)}{projection_words(outlook)}."]


def budget_words(outlook: SlaOutlook, *, emoji: bool = True) -> str:
    """The month's error budget in words, the same in the SLA report, the `sla_budget`
    alert and the digest: lost, spent, or how many misses are left."""
    if outlook.lost:
        mark, words = ":x:", "the goal can no longer be met this month"
    elif outlook.budget == 0:
        mark, words = ":rotating_light:", "error budget spent: the next miss loses the goal"
    else:
        mark = ":warning:"
        words = f"error budget: {plural(outlook.budget, 'more miss')} left before the goal is lost"
    return f"{mark} {words}" if emoji else words


def projection_words(outlook: SlaOutlook) -> str:
    """ "; projected month end …" when the month has a projection, else nothing."""
    if outlook.projected is None:
        return ""
    return (
        f"; projected month end {float(outlook.projected):.1%} "
        f"of ~{plural(outlook.expected, 'ticket')}"
    )


# --- fair use ----------------------------------------------------------------------------


def callers_at_risk(
    db: Session, policy: Policy, customer: Customer, now: datetime
) -> list[CallerOutlook]:
    """Covered callers projected past the allowance this month."""
    today = provider_today(policy, now)
    rows = month_rows(db, policy, customer, today.year, today.month)
    seconds = {r["caller"]: r["seconds"] for r in rows if r["status"] is not Status.NOT_COVERED}
    limits = call_limits(policy, now)
    return fair_use_outlook(
        seconds,
        allowance_seconds=limits.allowance,
        review_seconds=limits.review,
        today=today,
        days_in_month=calendar.monthrange(today.year, today.month)[1],
    )


def caller_line(caller: CallerOutlook) -> str:
    minutes = -(-int(caller.projected_seconds) // 60)
    if caller.already_over:
        when = "already over the allowance"
    else:
        when = f"projected past the allowance on {caller.passes_on}"
    review = ", and past the review limit" if caller.projected_review else ""
    return f"{caller.caller}: {when}{review} (~{format_minutes(minutes)} by month end)"
