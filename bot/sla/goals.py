"""Monthly SLA goals: the percentile-goal arithmetic (seed 004, e.g. "90% of first responses
within 6 business hours") and each customer's SLA results for a month.

`percentile` and `goal_summary` are pure; `month_sla` derives every ticket's clocks the month
opened (`bot.sla.tickets.clocks_for`) and applies them, for `/hourglass sla` and the
customer's statement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from bot.parsing import month_bounds
from bot.policy.model import Policy
from bot.sla.eventlog import EventKind, TicketEvent
from bot.sla.explain import format_duration
from bot.sla.targets import plan_for
from bot.sla.tickets import clocks_for
from store.models import Customer, Ticket, TicketEventRecord
from store.repositories.core import Customers
from store.repositories.sla import TicketEvents, Tickets


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it.
    `p` in (0, 100]; None for no values."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    if not values:
        return None
    ordered = sorted(values)
    # Fraction keeps ranks exact (e.g. 90% of 10 is rank 9, not 9.000000000000002 -> 10).
    rank = math.ceil(Fraction(p) * len(ordered) / 100)
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class GoalSummary:
    """How a month's first responses compare with a goal like "90% within 6h"."""

    within: int
    total: int
    ratio: float | None  # None with no tickets yet
    met: bool  # True with no tickets yet: nothing has missed
    p50: float | None
    p90: float | None
    affordable_breaches: int


def goal_summary(
    first_response_minutes: Sequence[float],
    goal_share: float,
    goal_minutes: float,
    tickets_expected: int | None = None,
) -> GoalSummary:
    """Summarise first-response times (minutes) against "goal_share within goal_minutes".

    A response is within the goal if it took at most `goal_minutes`.
    `affordable_breaches` is how many more responses could miss the goal this month while the
    share within stays >= goal_share:
    - with `tickets_expected`, assuming the month ends with that many tickets (or the number
      seen so far, if more) and every response not counted as a miss is within the goal;
    - without it, assuming every further ticket misses, i.e. how many misses in a row the
      ratio can absorb before dropping below the goal.
    It is never negative (0 once the goal is already missed).
    """
    if not 0 < goal_share <= 1:
        raise ValueError(f"goal_share must be in (0, 1], got {goal_share}")
    if tickets_expected is not None and tickets_expected < 0:
        raise ValueError(f"tickets_expected must not be negative, got {tickets_expected}")
    total = len(first_response_minutes)
    # At most, as the clocks count it: a response at the due instant meets the target.
    within = sum(1 for minutes in first_response_minutes if minutes <= goal_minutes)
    # The goal as written ("0.9"), not its binary approximation, so 9/10 meets 90%.
    goal = Fraction(repr(float(goal_share)))
    met = total == 0 or Fraction(within, total) >= goal
    if tickets_expected is not None:
        month_total = max(tickets_expected, total)
        still_to_come = month_total - total
        affordable = math.floor(within + still_to_come - goal * month_total)
        affordable = min(affordable, still_to_come)
    else:
        affordable = math.floor(within / goal - total)
    return GoalSummary(
        within=within,
        total=total,
        ratio=within / total if total else None,
        met=met,
        p50=percentile(first_response_minutes, 50),
        p90=percentile(first_response_minutes, 90),
        affordable_breaches=max(affordable, 0),
    )


# --- a customer's month --------------------------------------------------------------------


@dataclass(frozen=True)
class MonthSla:
    customer: str
    plan: str
    tickets: int
    responded: int
    breached: int
    within_target_ratio: float | None
    p50_first_response_minutes: int | None
    p90_first_response_minutes: int | None
    goal: str | None  # e.g. "90% within 6h"
    goal_met: bool | None
    goal_ratio: float | None
    affordable_breaches: int | None
    # The goal's tally (issue 13's error budget, bot.insights): first responses within the
    # goal, misses (answered late, or already past it unanswered), and still undecided.
    goal_share: float | None = None
    goal_within: int = 0
    goal_missed: int = 0
    goal_open: int = 0

    def statement(self) -> dict[str, Any]:
        return {
            "tickets": self.tickets,
            "responded": self.responded,
            "breached": self.breached,
            "within_target_ratio": self.within_target_ratio,
            "p90_first_response_minutes": self.p90_first_response_minutes,
        }


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def month_sla(
    db: Session, policy: Policy, customer: Customer, year: int, month: int, now: datetime
) -> MonthSla:
    """SLA results for the tickets opened in the month (provider's timezone), as of `now`."""
    start, end = month_bounds(year, month, policy.timezone)
    tickets = Tickets.for_customer(db, customer.id, opened_from=start, opened_before=end)
    return _month_sla(db, policy, customer, start, now, tickets, None)


def month_slas(
    db: Session, policy: Policy, customers: Sequence[Customer], year: int, month: int, now: datetime
) -> dict[int, MonthSla]:
    """`month_sla` for a sweep's batch of customers, by id: the month's tickets and their
    logs in one read each, not a read a customer and one a ticket."""
    start, end = month_bounds(year, month, policy.timezone)
    tickets = Tickets.opened_between(db, [customer.id for customer in customers], start, end)
    logs = TicketEvents.for_tickets(db, [t.id for found in tickets.values() for t in found])
    return {
        customer.id: _month_sla(db, policy, customer, start, now, tickets[customer.id], logs)
        for customer in customers
    }


def _month_sla(
    db: Session,
    policy: Policy,
    customer: Customer,
    start: datetime,
    now: datetime,
    tickets: list[Ticket],
    logs: dict[int, list[TicketEventRecord]] | None,
) -> MonthSla:
    # The goal of the version in force on the month's first day (issue 16).
    month_policy = policy.at(start)
    plan = plan_for(month_policy if customer.plan in month_policy.plans else policy, customer)
    responded = breached = 0
    responses: list[float] = []
    goal_values: list[float] = []
    goal_minutes = _minutes(plan.goal.first_response) if plan.goal else None
    for ticket in tickets:
        events = None
        if logs is not None:
            events = [TicketEvent(EventKind(row.kind), row.at) for row in logs[ticket.id]]
        clocks = clocks_for(db, policy, ticket, customer, now, events)
        first = clocks.first_response
        if any(clock.is_breached(now) for clock in clocks.clocks):
            breached += 1
        if first.stopped_at is not None:
            responded += 1
            responses.append(_minutes(first.elapsed))
            goal_values.append(_minutes(first.elapsed))
        elif goal_minutes is not None and _minutes(first.elapsed) > goal_minutes:
            goal_values.append(_minutes(first.elapsed))  # already a miss, answered or not
    p50, p90 = percentile(responses, 50), percentile(responses, 90)
    summary = (
        goal_summary(goal_values, plan.goal.share, goal_minutes)
        if plan.goal is not None and goal_minutes is not None
        else None
    )
    return MonthSla(
        customer=customer.name,
        plan=plan.name,
        tickets=len(tickets),
        responded=responded,
        breached=breached,
        within_target_ratio=round((len(tickets) - breached) / len(tickets), 3) if tickets else None,
        p50_first_response_minutes=None if p50 is None else round(p50),
        p90_first_response_minutes=None if p90 is None else round(p90),
        goal=(
            f"{plan.goal.share:.0%} of first responses within "
            f"{format_duration(plan.goal.first_response)}"
            if plan.goal
            else None
        ),
        goal_met=summary.met if summary else None,
        goal_ratio=summary.ratio if summary else None,
        affordable_breaches=summary.affordable_breaches if summary else None,
        goal_share=plan.goal.share if plan.goal else None,
        goal_within=summary.within if summary else 0,
        goal_missed=summary.total - summary.within if summary else 0,
        goal_open=len(tickets) - len(goal_values) if summary else 0,
    )


def month_sla_all(
    db: Session, policy: Policy, year: int, month: int, now: datetime
) -> list[MonthSla]:
    return [month_sla(db, policy, c, year, month, now) for c in Customers.all(db)]
