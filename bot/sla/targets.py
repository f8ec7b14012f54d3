"""SLA targets: which business-time targets and escalation levels apply to a ticket (seed 004).

A customer's plan in the policy gives, per priority, a public and a stricter internal target
for the first response and for the resolution; the policy's `[[sla.escalations]]` give the
levels a breached clock escalates to, on the plans that escalate (`escalate`, seed 003). This
module turns those into the plain values the clocks take. Pure: it reads the policy, never the
store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from bot.calendar.business import BusinessCalendar
from bot.calendar.business_days import BusinessDays, Target, business_amount
from bot.policy.model import Plan, Policy

_ZERO = timedelta(0)


class OnPlan(Protocol):
    """Anything that names a plan of the policy; a stored customer does."""

    @property
    def plan(self) -> str: ...


def _check_duration(value: Target | None, what: str) -> None:
    if isinstance(value, BusinessDays):
        return
    if value is not None and (not isinstance(value, timedelta) or value < _ZERO):
        raise ValueError(f"{what} must be a non-negative timedelta or None, got {value!r}")


@dataclass(frozen=True)
class SlaTargets:
    """Targets for a ticket, in business time or business days (`bot.calendar.business_days`);
    None means no target for that clock."""

    first_response: Target | None = None
    first_response_internal: Target | None = None  # stricter, for the team's own warnings
    resolution: Target | None = None
    resolution_internal: Target | None = None

    def __post_init__(self) -> None:
        for name in (
            "first_response",
            "first_response_internal",
            "resolution",
            "resolution_internal",
        ):
            _check_duration(getattr(self, name), f"{name} target")

    def in_business_time(self, calendar: BusinessCalendar, opened_at: datetime) -> BusinessTargets:
        """The same targets as business time for a ticket opened at `opened_at`: a target in
        business days becomes the business time up to its due instant."""

        def amount(target: Target | None) -> timedelta | None:
            return None if target is None else business_amount(calendar, opened_at, target)

        return BusinessTargets(
            amount(self.first_response),
            amount(self.first_response_internal),
            amount(self.resolution),
            amount(self.resolution_internal),
        )


class BusinessTargets(NamedTuple):
    """A ticket's targets as the business time each clock may count and still meet them."""

    first_response: timedelta | None
    first_response_internal: timedelta | None
    resolution: timedelta | None
    resolution_internal: timedelta | None


@dataclass(frozen=True)
class Escalation:
    """Escalate to `level` once `after` of business time has passed since the public breach."""

    level: str
    after: timedelta

    def __post_init__(self) -> None:
        _check_duration(self.after, f"escalation {self.level!r} delay")


def plan_for(policy: Policy, customer: OnPlan) -> Plan:
    """The customer's plan: its calendar, priorities and goal."""
    return policy.plans[customer.plan]


def targets_for(plan: Plan, priority: str) -> SlaTargets:
    """The plan's first-response and resolution targets for `priority`."""
    targets = plan.priorities.get(priority)
    if targets is None:
        return SlaTargets()  # a priority the policy dropped: no targets, time still counted
    return SlaTargets(
        first_response=targets.first_response,
        first_response_internal=targets.first_response_internal,
        resolution=targets.resolution,
        resolution_internal=targets.resolution_internal,
    )


def escalations_for(policy: Policy, plan: Plan) -> list[Escalation]:
    """The policy's escalation levels, in order, as the clocks take them; none for a plan
    that does not escalate (seed 003 offers the "technical escalation process to Account
    Manager or Technical Director" with Technical Support only, not with Lite)."""
    if not plan.escalate:
        return []
    return [Escalation(level.level, level.after) for level in policy.sla.escalations]
