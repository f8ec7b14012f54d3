"""The provider's support policy as the rules read it: frozen dataclasses, one per table.

Everything the rules use is here, with the seeds' numbers as defaults: rounding and
block validity (seed 001), cancellation charge (001), phone fair use (000), tiers and
response targets (003), public and internal SLA targets with percentile goals (004).
Reading and validating the TOML file is `bot.policy.loader`; `provider_today` gives the
billing day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.calendar.business import BusinessCalendar
from bot.calendar.business_days import Target
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
    """A priority's targets: business time (`"8h"`) or business days (`"2bd"`)."""

    name: str
    first_response: Target | None
    first_response_internal: Target | None
    resolution: Target | None
    resolution_internal: Target | None


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
class Insights:
    """`[insights]` (issue 13): when the forecasts raise alerts, and the weekly digest."""

    forfeit_risk_threshold: timedelta = timedelta(hours=2)  # forfeit_risk: more than this
    forfeit_risk_window_days: int = 30  # ... projected within a block's last N days
    sla_budget_alert_at: int = 1  # sla_budget: spent, or this many misses left or fewer
    digest_channel: str | None = None  # the managers' channel for the weekly digest
    digest_time: time = time(9, 0)  # each Monday, provider-local


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
    insights: Insights = Insights()
    alerts: AlertRoutes = AlertRoutes()  # who each alert kind is for (SPEC §5)
    activities: tuple[str, ...] = ACTIVITIES
    locale: str = "en_GB"
    date_order: str = "DMY"  # how numeric dates are typed: DMY, MDY or YMD (bot.parsing)
    source: str = field(default="", compare=False)
    effective_from: date | None = field(default=None, compare=False)  # None: the beginning
    history: PolicyHistory | None = field(default=None, compare=False, repr=False)

    def plan(self, name: str) -> Plan:
        return self.plans[name]

    def at(self, moment: date | datetime) -> Policy:
        """The version in force at `moment` (a provider-local date, or an instant)."""
        history = self.history
        if history is None or all(version is not self for version in history.versions):
            return self  # not read from a file (a test's `replace`): one version only
        if isinstance(moment, datetime):
            moment = moment.astimezone(self.timezone).date()
        return history.at(moment)


class PolicyHistory:
    """Every version of the policy, each in force from its `effective_from` (a provider-local
    date; the first from the beginning) until the next one's. Each version carries the
    history, so `version.at(day)` works from any of them."""

    def __init__(
        self,
        versions: Sequence[tuple[date | None, Policy]],
        tables: Sequence[Mapping[str, Any]] = (),
    ):
        ordered = sorted(versions, key=lambda version: version[0] or date.min)
        self.versions = tuple(
            replace(policy, effective_from=effective, history=self) for effective, policy in ordered
        )
        # Each version's whole table as read (earlier versions merged in), for the start-up
        # check that no version already in force was changed (`bot.policy.versions`).
        self.tables = tuple(tables)

    def at(self, day: date) -> Policy:
        current = self.versions[0]
        for version in self.versions[1:]:
            if version.effective_from is None or version.effective_from > day:
                break
            current = version
        return current

    @property
    def latest(self) -> Policy:
        """The newest version: what rules not yet versioned read (docs/policy.md)."""
        return self.versions[-1]


def provider_today(policy: Policy, now: datetime) -> date:
    """The provider's calendar date at `now`: the billing day (SPEC: provider timezone)."""
    return now.astimezone(policy.timezone).date()
