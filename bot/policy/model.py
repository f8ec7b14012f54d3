"""The provider's support policy: one TOML file, validated at start-up.

Everything the rules use is here, with the seeds' numbers as defaults: rounding and
block validity (seed 001), cancellation charge (001), phone fair use (000), tiers and
response targets (003), public and internal SLA targets with percentile goals (004).
An unknown key, a bad duration or an unknown timezone is a `PolicyError` that names
the key and the line it is on.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.calendar.business import BusinessCalendar
from bot.errors import ConfigError
from bot.parsing import InputError, parse_duration, parse_money
from bot.policy.rounding import RoundingMode, RoundingRule

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_GROUPS = {"weekdays": WEEKDAYS[:5], "weekends": WEEKDAYS[5:], "daily": WEEKDAYS}
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


class PolicyError(ConfigError, ValueError):
    """A policy file that cannot be used; the message names the file, key and line."""


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
    activities: tuple[str, ...] = ACTIVITIES
    source: str = field(default="", compare=False)

    def plan(self, name: str) -> Plan:
        return self.plans[name]


# --- loading ------------------------------------------------------------------------------

_ALLOWED: dict[str, set[str]] = {
    "": {
        "provider",
        "roles",
        "billing",
        "cancellation",
        "bookings",
        "fair_use",
        "timers",
        "sla",
        "calendars",
        "plans",
    },
    "provider": {
        "name",
        "timezone",
        "currency",
        "hourly_rate",
        "training_rate",
        "alert_channel",
        "activities",
    },
    "roles": {"agents", "managers"},
    "billing": {
        "increment",
        "rounding",
        "period",
        "block_validity_days",
        "block_low_threshold",
        "block_expiry_warning_days",
        "max_entry",
        "future_days",
    },
    "cancellation": {"free_notice", "late_charge", "no_show_charge"},
    "bookings": {"reminders", "max_duration", "max_ahead_days"},
    "fair_use": {"long_call", "allowance_per_user", "review_per_user", "max_call"},
    "timers": {"forgotten_after", "remind_every"},
    "sla": {"default_priority", "warning_share", "escalations", "priorities"},
    "sla.escalations": {"level", "after", "notify"},
    "calendar": {"timezone", "hours", "holidays", "subdivision", "closures"},
    "calendar.hours": set(WEEKDAYS) | set(DAY_GROUPS),
    "plan": {"calendar", "phone_support", "priorities", "goal"},
    "priority": {
        "first_response",
        "first_response_internal",
        "resolution",
        "resolution_internal",
    },
    "goal": {"share", "first_response"},
}

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\".]+)\s*=")


def _split_path(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip('"') for part in text.split("."))


def _line_of(source_text: str, path: tuple[str, ...]) -> int | None:
    """Best-effort line number of a key path in TOML text (tomllib keeps no positions)."""
    table: tuple[str, ...] = ()
    fallback = None
    for number, line in enumerate(source_text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _split_path(header.group(1))
            if table == path:
                return number
            continue
        key = _KEY.match(line)
        if not key:
            continue
        full = table + _split_path(key.group(1))
        if full == path or (len(path) > len(full) and path[: len(full)] == full):
            return number
        if fallback is None and path and full[-1:] == path[-1:]:
            fallback = number
    return fallback


class _Reader:
    """Walks the parsed TOML, raising PolicyError with the key path and line."""

    def __init__(self, text: str, origin: str):
        self.text = text
        self.origin = origin

    def fail(self, path: tuple[str, ...], message: str) -> PolicyError:
        line = _line_of(self.text, path)
        where = f"{self.origin}, line {line}" if line else self.origin
        dotted = ".".join(path) if path else "(top level)"
        return PolicyError(f"{where}: {dotted}: {message}")

    def table(self, value: Any, path: tuple[str, ...], allowed: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, "must be a table")
        for key in value:
            if key not in _ALLOWED[allowed]:
                raise self.fail((*path, key), "unknown key")
        return value

    def duration(self, value: Any, path: tuple[str, ...], *, allow_zero: bool = False):
        if not isinstance(value, str):
            raise self.fail(path, f'must be a duration string like "90m", not {value!r}')
        try:
            result = parse_duration(value)
        except InputError as exc:
            raise self.fail(path, str(exc)) from None
        if not allow_zero and result <= timedelta(0):
            raise self.fail(path, "must be longer than zero")
        return result

    def optional_duration(self, data: dict, key: str, path: tuple[str, ...]):
        return self.duration(data[key], (*path, key)) if key in data else None

    def money(self, value: Any, path: tuple[str, ...]) -> Decimal:
        try:
            return parse_money(str(value))
        except InputError as exc:
            raise self.fail(path, str(exc)) from None

    def timezone(self, value: Any, path: tuple[str, ...]) -> ZoneInfo:
        if not isinstance(value, str):
            raise self.fail(path, 'must be an IANA timezone name such as "Europe/London"')
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(path, f"unknown timezone {value!r}") from None

    def integer(self, value: Any, path: tuple[str, ...], low: int, high: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.fail(path, f"must be a whole number from {low} to {high}")
        return value

    def share(self, value: Any, path: tuple[str, ...]) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
            raise self.fail(path, "must be a fraction between 0 and 1, e.g. 0.75")
        return float(value)

    def boolean(self, value: Any, path: tuple[str, ...]) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, "must be true or false")
        return value

    def string(self, value: Any, path: tuple[str, ...]) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, "must be a non-empty string")
        return value.strip()

    def strings(self, value: Any, path: tuple[str, ...]) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(path, "must be a list of strings")
        return tuple(v.strip() for v in value)


_SHIFT = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)$")


def _shifts(reader: _Reader, value: Any, path: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise reader.fail(path, 'must be "HH:MM-HH:MM", a list of them, or "closed"')
    shifts = []
    for item in items:
        if not isinstance(item, str):
            raise reader.fail(path, 'must be "HH:MM-HH:MM", a list of them, or "closed"')
        if item.strip().lower() == "closed":
            continue
        for part in item.split(","):
            match = _SHIFT.match(part.strip())
            if not match:
                raise reader.fail(path, f'{part.strip()!r} is not a shift like "08:00-18:00"')
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if start >= end or end > 1440:
                raise reader.fail(path, f"{part.strip()!r} must end after it starts (max 24:00)")
            shifts.append((start, end))
    shifts.sort()
    for (_, end), (start, _) in zip(shifts, shifts[1:], strict=False):
        if start < end:
            raise reader.fail(path, "shifts overlap")
    return tuple(shifts)


def _calendar(reader: _Reader, name: str, data: Any, default_tz: ZoneInfo) -> BusinessCalendar:
    path = ("calendars", name)
    data = reader.table(data, path, "calendar")
    tz = (
        reader.timezone(data["timezone"], (*path, "timezone")) if "timezone" in data else default_tz
    )
    hours = data.get("hours", "24/7")
    weekly: dict[int, tuple[tuple[int, int], ...]] = {}
    if isinstance(hours, str) and hours.strip().lower() in {"24/7", "always"}:
        weekly = {day: ((0, 1440),) for day in range(7)}
    else:
        hours = reader.table(hours, (*path, "hours"), "calendar.hours")
        # Groups first so a single day can override its group.
        for key in sorted(hours, key=lambda k: k in WEEKDAYS):
            days = DAY_GROUPS.get(key, (key,))
            shifts = _shifts(reader, hours[key], (*path, "hours", key))
            for day in days:
                weekly[WEEKDAYS.index(day)] = shifts
        weekly = {day: shifts for day, shifts in weekly.items() if shifts}
    closures = []
    for raw in data.get("closures", []):
        try:
            closures.append(date.fromisoformat(str(raw)))
        except ValueError:
            raise reader.fail((*path, "closures"), f"{raw!r} is not a date (YYYY-MM-DD)") from None
    country = data.get("holidays")
    if country is not None:
        country = reader.string(country, (*path, "holidays")).upper()
    subdivision = data.get("subdivision")
    try:
        return BusinessCalendar(
            name=name,
            timezone=tz.key,
            weekly_hours=weekly,
            holiday_country=country,
            holiday_subdivision=subdivision,
            closures=frozenset(closures),
        )
    except ValueError as exc:
        raise reader.fail(path, str(exc)) from None


def _priorities(reader: _Reader, data: Any, path: tuple[str, ...]) -> dict[str, PriorityTargets]:
    if not isinstance(data, dict):
        raise reader.fail(path, "must be a table of priorities")
    result = {}
    for name, targets in data.items():
        where = (*path, name)
        targets = reader.table(targets, where, "priority")
        result[name] = PriorityTargets(
            name=name,
            first_response=reader.optional_duration(targets, "first_response", where),
            first_response_internal=reader.optional_duration(
                targets, "first_response_internal", where
            ),
            resolution=reader.optional_duration(targets, "resolution", where),
            resolution_internal=reader.optional_duration(targets, "resolution_internal", where),
        )
    return result


def parse_policy(text: str, origin: str = "policy") -> Policy:
    """Build a Policy from TOML text; `origin` names the file in error messages."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{origin}: not valid TOML: {exc}") from None
    reader = _Reader(text, origin)
    raw = reader.table(raw, (), "")
    provider = reader.table(raw.get("provider"), ("provider",), "provider")
    tz = reader.timezone(provider.get("timezone", "Europe/London"), ("provider", "timezone"))
    currency = reader.string(provider.get("currency", "GBP"), ("provider", "currency")).upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise reader.fail(("provider", "currency"), "must be a three-letter currency code")

    billing_raw = reader.table(raw.get("billing"), ("billing",), "billing")
    mode = billing_raw.get("rounding", "up")
    if mode not in {m.value for m in RoundingMode}:
        raise reader.fail(("billing", "rounding"), 'must be "up" or "nearest"')
    if billing_raw.get("period", "day") != "day":
        raise reader.fail(("billing", "period"), 'only "day" is supported (seed 001)')
    increment = reader.duration(billing_raw.get("increment", "30m"), ("billing", "increment"))
    if increment.total_seconds() % 60:
        raise reader.fail(("billing", "increment"), "must be whole minutes")
    warning_days = billing_raw.get("block_expiry_warning_days", [14, 7, 1])
    if not isinstance(warning_days, list):
        raise reader.fail(("billing", "block_expiry_warning_days"), "must be a list of days")
    billing = Billing(
        rounding=RoundingRule(int(increment.total_seconds() // 60), RoundingMode(mode)),
        block_validity_days=reader.integer(
            billing_raw.get("block_validity_days", 90), ("billing", "block_validity_days"), 1, 3660
        ),
        block_low_threshold=reader.duration(
            billing_raw.get("block_low_threshold", "2h"), ("billing", "block_low_threshold")
        ),
        block_expiry_warning_days=tuple(
            sorted(
                (
                    reader.integer(d, ("billing", "block_expiry_warning_days"), 1, 365)
                    for d in warning_days
                ),
                reverse=True,
            )
        ),
        max_entry=reader.duration(billing_raw.get("max_entry", "12h"), ("billing", "max_entry")),
        future_days=reader.integer(
            billing_raw.get("future_days", 0), ("billing", "future_days"), 0, 366
        ),
    )

    cancel_raw = reader.table(raw.get("cancellation"), ("cancellation",), "cancellation")
    cancellation = Cancellation(
        free_notice=reader.duration(
            cancel_raw.get("free_notice", "24h"), ("cancellation", "free_notice")
        ),
        late_charge=reader.duration(
            cancel_raw.get("late_charge", "30m"), ("cancellation", "late_charge"), allow_zero=True
        ),
        no_show_charge=reader.duration(
            cancel_raw.get("no_show_charge", "30m"),
            ("cancellation", "no_show_charge"),
            allow_zero=True,
        ),
    )

    book_raw = reader.table(raw.get("bookings"), ("bookings",), "bookings")
    bookings = Bookings(
        reminders=tuple(
            sorted(
                (
                    reader.duration(r, ("bookings", "reminders"))
                    for r in reader.strings(
                        book_raw.get("reminders", ["24h", "1h"]), ("bookings", "reminders")
                    )
                ),
                reverse=True,
            )
        ),
        max_duration=reader.duration(
            book_raw.get("max_duration", "8h"), ("bookings", "max_duration")
        ),
        max_ahead_days=reader.integer(
            book_raw.get("max_ahead_days", 365), ("bookings", "max_ahead_days"), 1, 3660
        ),
    )

    fair_raw = reader.table(raw.get("fair_use"), ("fair_use",), "fair_use")
    fair_use = FairUse(
        long_call=reader.duration(fair_raw.get("long_call", "15m"), ("fair_use", "long_call")),
        allowance_per_user=reader.duration(
            fair_raw.get("allowance_per_user", "45m"), ("fair_use", "allowance_per_user")
        ),
        review_per_user=reader.duration(
            fair_raw.get("review_per_user", "60m"), ("fair_use", "review_per_user")
        ),
        max_call=reader.duration(fair_raw.get("max_call", "8h"), ("fair_use", "max_call")),
    )
    if fair_use.review_per_user < fair_use.allowance_per_user:
        raise reader.fail(
            ("fair_use", "review_per_user"), "must not be less than allowance_per_user"
        )

    timers_raw = reader.table(raw.get("timers"), ("timers",), "timers")
    timers = Timers(
        forgotten_after=reader.duration(
            timers_raw.get("forgotten_after", "60m"), ("timers", "forgotten_after")
        ),
        remind_every=reader.duration(
            timers_raw.get("remind_every", "60m"), ("timers", "remind_every")
        ),
    )

    sla_raw = reader.table(raw.get("sla"), ("sla",), "sla")
    escalations = []
    for index, item in enumerate(sla_raw.get("escalations", [])):
        where = ("sla", "escalations")
        item = reader.table(item, where, "sla.escalations")
        if "level" not in item or "after" not in item:
            raise reader.fail(where, f"escalation {index + 1} needs `level` and `after`")
        escalations.append(
            EscalationLevel(
                level=reader.string(item["level"], (*where, "level")),
                after=reader.duration(item["after"], (*where, "after"), allow_zero=True),
                notify=reader.strings(item.get("notify", []), (*where, "notify")),
            )
        )
    default_priorities = (
        _priorities(reader, sla_raw["priorities"], ("sla", "priorities"))
        if "priorities" in sla_raw
        else {}
    )

    calendars_raw = raw.get("calendars") or {}
    if not isinstance(calendars_raw, dict):
        raise reader.fail(("calendars",), "must be a table of calendars")
    calendars = {name: _calendar(reader, name, data, tz) for name, data in calendars_raw.items()}
    calendars.setdefault("24/7", BusinessCalendar.always_open("24/7", tz.key))

    plans_raw = raw.get("plans") or {}
    if not isinstance(plans_raw, dict) or not plans_raw:
        raise reader.fail(("plans",), "at least one plan is needed")
    plans = {}
    for name, data in plans_raw.items():
        path = ("plans", name)
        data = reader.table(data, path, "plan")
        calendar_name = data.get("calendar", "24/7")
        if calendar_name not in calendars:
            raise reader.fail((*path, "calendar"), f"no calendar named {calendar_name!r}")
        priorities = dict(default_priorities)
        if "priorities" in data:
            priorities.update(_priorities(reader, data["priorities"], (*path, "priorities")))
        if not priorities:
            raise reader.fail(path, "no priorities (set [sla.priorities] or the plan's own)")
        goal = None
        if "goal" in data:
            goal_raw = reader.table(data["goal"], (*path, "goal"), "goal")
            if "share" not in goal_raw or "first_response" not in goal_raw:
                raise reader.fail((*path, "goal"), "needs `share` and `first_response`")
            goal = SlaGoal(
                share=reader.share(goal_raw["share"], (*path, "goal", "share")),
                first_response=reader.duration(
                    goal_raw["first_response"], (*path, "goal", "first_response")
                ),
            )
        plans[name] = Plan(
            name=name,
            calendar=calendars[calendar_name],
            phone_support=reader.boolean(
                data.get("phone_support", False), (*path, "phone_support")
            ),
            priorities=priorities,
            goal=goal,
        )

    sla = Sla(
        default_priority=reader.string(
            sla_raw.get("default_priority", "priority"), ("sla", "default_priority")
        ),
        warning_share=reader.share(sla_raw.get("warning_share", 0.75), ("sla", "warning_share")),
        escalations=tuple(escalations),
    )
    for plan in plans.values():
        if sla.default_priority not in plan.priorities:
            raise reader.fail(
                ("sla", "default_priority"),
                f"plan {plan.name!r} has no priority {sla.default_priority!r}",
            )

    roles_raw = reader.table(raw.get("roles"), ("roles",), "roles")
    roles = Roles(
        agents=reader.strings(roles_raw.get("agents", []), ("roles", "agents")),
        managers=reader.strings(roles_raw.get("managers", []), ("roles", "managers")),
    )
    for key, members in (("agents", roles.agents), ("managers", roles.managers)):
        for member in members:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}|@[a-z0-9._-]+", member):
                raise reader.fail(
                    ("roles", key), f"{member!r} is not a Slack user ID (U…) or @user-group handle"
                )

    activities = reader.strings(
        provider.get("activities", list(ACTIVITIES)), ("provider", "activities")
    )
    alert_channel = provider.get("alert_channel")
    return Policy(
        name=reader.string(provider.get("name", "Hourglass"), ("provider", "name")),
        timezone=tz,
        currency=currency,
        hourly_rate=reader.money(provider.get("hourly_rate", "90.00"), ("provider", "hourly_rate")),
        training_rate=reader.money(
            provider.get("training_rate", "60.00"), ("provider", "training_rate")
        ),
        alert_channel=reader.string(alert_channel, ("provider", "alert_channel"))
        if alert_channel is not None
        else None,
        calendars=calendars,
        plans=plans,
        billing=billing,
        cancellation=cancellation,
        bookings=bookings,
        fair_use=fair_use,
        timers=timers,
        sla=sla,
        roles=roles,
        activities=activities,
        source=origin,
    )


def provider_today(policy: Policy, now: datetime) -> date:
    """The provider's calendar date at `now`: the billing day (SPEC: provider timezone)."""
    return now.astimezone(policy.timezone).date()


def default_policy_text() -> str:
    return (
        resources.files("bot.policy").joinpath("bundled/default.toml").read_text(encoding="utf-8")
    )


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy at `path`, or the bundled default (seed 003 tiers, seeds 000/001 rules)."""
    if path is None or str(path) == "":
        return parse_policy(default_policy_text(), "bundled default policy")
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{file}: cannot read the policy file ({exc.strerror})") from None
    return parse_policy(text, str(file))
