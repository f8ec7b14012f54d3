"""The provider's support policy as the rules read it: frozen dataclasses, one per table.

Everything the rules use is here, with the seeds' numbers as defaults: rounding and
block validity (seed 001), cancellation charge (001), phone fair use (000), tiers and
response targets (003), public and internal SLA targets with percentile goals (004).
Reading and validating the TOML file is `bot.policy.loader`; `provider_today` gives the
billing day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.calendar.business import BusinessCalendar
from bot.policy.rounding import RoundingRule
from bot.policy.routes import AlertRoutes

ACTIVITIES = (
    "kickoff",
    "orientation",
    "project-management",
    "familiarisation",
    "setup",
    "monitoring",
    "research",
    "testing",
    "status-call",
)


@dataclass(frozen=True)
class PriorityTargets:
    name: str
    first_response: timedelta | None
    first_response_internal: timedelta | None
    resolution: timedelta | None
    resolution_internal: timedelta | None


@dataclass(frozen=True)
class SlaGoal:
    """e.g. 90% of first responses within 6 business hours, per customer per month."""

    share: float
    first_response: timedelta


@dataclass(frozen=True)
class Plan:
    name: str
    calendar: BusinessCalendar
    phone_support: bool
    priorities: Mapping[str, PriorityTargets]
    goal: SlaGoal | None = None
    escalate: bool = True  # breaches climb `[[sla.escalations]]` (seed 003: not on Lite)


@dataclass(frozen=True)
class EscalationLevel:
    level: str
    after: timedelta
    notify: tuple[str, ...] = ()


@dataclass(frozen=True)
class Billing:
    rounding: RoundingRule = RoundingRule()
    period: str = "day"
    block_validity_days: int = 90
    block_low_threshold: timedelta = timedelta(hours=2)
    block_expiry_warning_days: tuple[int, ...] = (14, 7, 1)
    max_entry: timedelta = timedelta(hours=12)
    future_days: int = 0


@dataclass(frozen=True)
class Cancellation:
    free_notice: timedelta = timedelta(hours=24)
    late_charge: timedelta = timedelta(minutes=30)
    no_show_charge: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class Bookings:
    reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    max_duration: timedelta = timedelta(hours=8)
    max_ahead_days: int = 365


@dataclass(frozen=True)
class FairUse:
    long_call: timedelta = timedelta(minutes=15)
    allowance_per_user: timedelta = timedelta(minutes=45)
    review_per_user: timedelta = timedelta(minutes=60)
    max_call: timedelta = timedelta(hours=8)


@dataclass(frozen=True)
class Timers:
    forgotten_after: timedelta = timedelta(minutes=60)
    remind_every: timedelta = timedelta(minutes=60)


@dataclass(frozen=True)
class Sla:
    default_priority: str = "priority"
    warning_share: float = 0.75
    escalations: tuple[EscalationLevel, ...] = ()


@dataclass(frozen=True)
class Roles:
    """Slack user IDs (U…/W…) or user-group handles (`@support-leads`)."""

    agents: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    name: str
    timezone: ZoneInfo
    currency: str
    hourly_rate: Decimal
    training_rate: Decimal
    alert_channel: str | None
    calendars: Mapping[str, BusinessCalendar]
    plans: Mapping[str, Plan]
    billing: Billing = Billing()
    cancellation: Cancellation = Cancellation()
    bookings: Bookings = Bookings()
    fair_use: FairUse = FairUse()
    timers: Timers = Timers()
    sla: Sla = Sla()
    roles: Roles = Roles()
    alerts: AlertRoutes = AlertRoutes()  # who each alert kind is for (SPEC §5)
    activities: tuple[str, ...] = ACTIVITIES
    source: str = field(default="", compare=False)

    def plan(self, name: str) -> Plan:
        return self.plans[name]


def provider_today(policy: Policy, now: datetime) -> date:
    """The provider's calendar date at `now`: the billing day (SPEC: provider timezone)."""
    return now.astimezone(policy.timezone).date()
