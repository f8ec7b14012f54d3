"""SLA targets: which business-time targets and escalation levels apply to a ticket (seed 004).

A customer's plan in the policy gives, per priority, a public and a stricter internal target
for the first response and for the resolution; the policy's `[[sla.escalations]]` give the
levels a breached clock escalates to, on the plans that escalate (`escalate`, seed 003). This
module turns those into the plain values the clocks take. Pure: it reads the policy, never the
store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.policy.model import Plan, Policy

_ZERO = timedelta(0)


class OnPlan(Protocol):
    """Anything that names a plan of the policy; a stored customer does."""

    @property
    def plan(self) -> str: ...


def _check_duration(value: timedelta | None, what: str) -> None:
    if value is not None and (not isinstance(value, timedelta) or value < _ZERO):
        raise ValueError(f"{what} must be a non-negative timedelta or None, got {value!r}")


@dataclass(frozen=True)
class SlaTargets:
    """Business-time targets for a ticket; None means no target for that clock."""

    first_response: timedelta | None = None
    first_response_internal: timedelta | None = None  # stricter, for the team's own warnings
    resolution: timedelta | None = None
    resolution_internal: timedelta | None = None

    def __post_init__(self) -> None:
        for name in (
            "first_response",
            "first_response_internal",
            "resolution",
            "resolution_internal",
        ):
            _check_duration(getattr(self, name), f"{name} target")


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
