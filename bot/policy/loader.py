"""Reading the policy file: TOML in, a validated `Policy` out, or a `PolicyError` that names
the file, the key and the line.

Each table is a row-per-key list (`Key`: name, default, how to read it), read by one loop,
`read_keys`; adding a key is a row here and a field on its dataclass in `bot.policy.model`.
Defaults are written as they would be in the file and go through the same checks.
"""

from __future__ import annotations

import re
import tomllib
from datetime import time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from bot.calendar.business import BusinessCalendar
from bot.parsing import DATE_ORDERS
from bot.policy.calendars import read_calendars as _calendars
from bot.policy.calendars import read_target
from bot.policy.model import (
    ACTIVITIES,
    Billing,
    Bookings,
    Cancellation,
    EscalationLevel,
    FairUse,
    Insights,
    Plan,
    Policy,
    PolicyHistory,
    PriorityTargets,
    Roles,
    Sla,
    SlaGoal,
    Timers,
)
from bot.policy.reader import (
    REQUIRED,
    Key,
    KeyPath,
    PolicyError,
    Reader,
    as_given,
    optional,
    read_duration,
    read_keys,
    read_whole,
)
from bot.policy.rounding import RoundingMode, RoundingRule
from bot.policy.routes import AlertRoutes, read_routes
from bot.policy.versions import policy_history

# --- readers for the rows -------------------------------------------------------------------


def _currency(reader: Reader, value: Any, path: KeyPath) -> str:
    currency = reader.string(value, path).upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise reader.fail(path, "must be a three-letter currency code")
    return currency


def _rounding_mode(reader: Reader, value: Any, path: KeyPath) -> RoundingMode:
    if value not in {m.value for m in RoundingMode}:
        raise reader.fail(path, 'must be "up" or "nearest"')
    return RoundingMode(value)


def _period(reader: Reader, value: Any, path: KeyPath) -> str:
    if value != "day":
        raise reader.fail(path, 'only "day" is supported (seed 001)')
    return "day"


def _increment_minutes(reader: Reader, value: Any, path: KeyPath) -> int:
    increment = reader.duration(value, path)
    if increment.total_seconds() % 60:
        raise reader.fail(path, "must be whole minutes")
    return int(increment.total_seconds() // 60)


def _clock_time(reader: Reader, value: Any, path: KeyPath) -> time:
    text = reader.string(value, path)
    try:
        hour, minute = (int(part) for part in text.split(":"))
        return time(hour, minute)
    except ValueError:
        raise reader.fail(path, 'must be a local time of day like "09:00"') from None


def _warning_days(reader: Reader, value: Any, path: KeyPath) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise reader.fail(path, "must be a list of days")
    return tuple(sorted((reader.integer(day, path, 1, 365) for day in value), reverse=True))


def _reminders(reader: Reader, value: Any, path: KeyPath) -> tuple[timedelta, ...]:
    offsets = (reader.duration(offset, path) for offset in reader.strings(value, path))
    return tuple(sorted(offsets, reverse=True))


# The order people type a numeric date in, by the provider's locale (`27/11/2026` in
# Britain, `11/27/2026` in the US); `date_order` in the file overrides it.
_MDY_LOCALES = {"en_US", "en_PH", "es_US", "fr_CA"}
_YMD_LANGUAGES = {"ja", "zh", "ko", "hu", "lt", "mn"}


def _locale(reader: Reader, value: Any, path: KeyPath) -> str:
    locale = reader.string(value, path).replace("-", "_")
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", locale):
        raise reader.fail(path, 'must be a locale like "en_GB" or "en_US"')
    return locale


def _date_order(reader: Reader, value: Any, path: KeyPath) -> str:
    order = reader.string(value, path).upper()
    if order not in DATE_ORDERS:
        raise reader.fail(path, 'must be "DMY", "MDY" or "YMD"')
    return order


def date_order_for(locale: str) -> str:
    """The locale's order for numeric dates: MDY for en_US, YMD for ja_JP, else DMY."""
    if locale in _MDY_LOCALES:
        return "MDY"
    return "YMD" if locale.split("_")[0] in _YMD_LANGUAGES else "DMY"


def _members(reader: Reader, value: Any, path: KeyPath) -> tuple[str, ...]:
    members = reader.strings(value, path)
    for member in members:
        if not re.fullmatch(r"[UW][A-Z0-9]{2,}|@[a-z0-9._-]+", member):
            raise reader.fail(path, f"{member!r} is not a Slack user ID (U…) or @user-group handle")
    return members


# --- tables of tables -----------------------------------------------------------------------

PRIORITY = tuple(
    Key(name, None, optional(read_target))
    for name in ("first_response", "first_response_internal", "resolution", "resolution_internal")
)
ESCALATION = (
    Key("level", REQUIRED, Reader.string),
    Key("after", REQUIRED, read_duration(allow_zero=True)),
    Key("notify", [], Reader.strings),
)
GOAL = (Key("share", REQUIRED, Reader.share), Key("first_response", REQUIRED, read_duration()))


def _priorities(reader: Reader, value: Any, path: KeyPath) -> dict[str, PriorityTargets]:
    if not isinstance(value, dict):
        raise reader.fail(path, "must be a table of priorities")
    return {
        name: PriorityTargets(name=name, **read_keys(reader, targets, (*path, name), PRIORITY))
        for name, targets in value.items()
    }


def _escalations(reader: Reader, value: Any, path: KeyPath) -> tuple[EscalationLevel, ...]:
    return tuple(
        EscalationLevel(
            **read_keys(
                reader, item, path, ESCALATION, f"escalation {index} needs `level` and `after`"
            )
        )
        for index, item in enumerate(value, start=1)
    )


def _goal(reader: Reader, value: Any, path: KeyPath) -> SlaGoal:
    return SlaGoal(**read_keys(reader, value, path, GOAL, "needs `share` and `first_response`"))


# --- the file's sections --------------------------------------------------------------------

PROVIDER = (
    Key("name", "Hourglass", Reader.string),
    Key("timezone", "Europe/London", Reader.timezone),
    Key("currency", "GBP", _currency),
    Key("hourly_rate", "90.00", Reader.money),
    Key("training_rate", "60.00", Reader.money),
    Key("alert_channel", None, optional(Reader.string)),
    Key("activities", list(ACTIVITIES), Reader.strings),
    Key("locale", "en_GB", _locale),
    Key("date_order", None, optional(_date_order)),  # None: the locale's
)
SECTIONS: dict[str, tuple[Key, ...]] = {
    "billing": (
        Key("rounding", "up", _rounding_mode),
        Key("period", "day", _period),
        Key("increment", "30m", _increment_minutes),
        Key("block_validity_days", 90, read_whole(1, 3660)),
        Key("block_low_threshold", "2h", read_duration()),
        Key("block_expiry_warning_days", [14, 7, 1], _warning_days),
        Key("max_entry", "12h", read_duration()),
        Key("future_days", 0, read_whole(0, 366)),
    ),
    "cancellation": (
        Key("free_notice", "24h", read_duration()),
        Key("late_charge", "30m", read_duration(allow_zero=True)),
        Key("no_show_charge", "30m", read_duration(allow_zero=True)),
    ),
    "bookings": (
        Key("reminders", ["24h", "1h"], _reminders),
        Key("max_duration", "8h", read_duration()),
        Key("max_ahead_days", 365, read_whole(1, 3660)),
    ),
    "fair_use": (
        Key("long_call", "15m", read_duration()),
        Key("allowance_per_user", "45m", read_duration()),
        Key("review_per_user", "60m", read_duration()),
        Key("max_call", "8h", read_duration()),
    ),
    "timers": (
        Key("forgotten_after", "60m", read_duration()),
        Key("remind_every", "60m", read_duration()),
    ),
    "sla": (
        Key("default_priority", "priority", Reader.string),
        Key("warning_share", 0.75, Reader.share),
        Key("escalations", [], _escalations),
        Key("priorities", {}, _priorities),  # every plan's, unless the plan sets its own
    ),
    "roles": (Key("agents", [], _members), Key("managers", [], _members)),
    "alerts": (Key("routes", {}, read_routes),),  # bot.policy.routes: team, customer, both
    "insights": (  # issue 13: forecasts' alerts and the weekly digest (docs/insights.md)
        Key("forfeit_risk_threshold", "2h", read_duration(allow_zero=True)),
        Key("forfeit_risk_window_days", 30, read_whole(1, 366)),
        Key("sla_budget_alert_at", 1, read_whole(0, 1000)),
        Key("digest_channel", None, optional(Reader.string)),
        Key("digest_time", "09:00", _clock_time),
    ),
}
TOP_LEVEL = {"provider", *SECTIONS, "calendars", "plans"}
PLAN = (
    Key("calendar", "24/7", as_given),  # checked against the calendars by _plan
    Key("phone_support", False, Reader.boolean),
    Key("priorities", {}, _priorities),
    Key("goal", None, optional(_goal)),
    Key("escalate", True, Reader.boolean),  # seed 003: escalation comes with Technical Support
)


# --- plans ----------------------------------------------------------------------------------


def _plan(
    reader: Reader,
    name: str,
    value: Any,
    calendars: dict[str, BusinessCalendar],
    default_priorities: dict[str, PriorityTargets],
) -> Plan:
    path = ("plans", name)
    data = read_keys(reader, value, path, PLAN)
    if data["calendar"] not in calendars:
        raise reader.fail((*path, "calendar"), f"no calendar named {data['calendar']!r}")
    priorities = {**default_priorities, **data["priorities"]}
    if not priorities:
        raise reader.fail(path, "no priorities (set [sla.priorities] or the plan's own)")
    return Plan(
        name=name,
        calendar=calendars[data["calendar"]],
        phone_support=data["phone_support"],
        priorities=priorities,
        goal=data["goal"],
        escalate=data["escalate"],
    )


def _plans(
    reader: Reader,
    value: Any,
    calendars: dict[str, BusinessCalendar],
    default_priorities: dict[str, PriorityTargets],
) -> dict[str, Plan]:
    value = value or {}
    if not isinstance(value, dict) or not value:
        raise reader.fail(("plans",), "at least one plan is needed")
    return {
        name: _plan(reader, name, data, calendars, default_priorities)
        for name, data in value.items()
    }


# --- the whole file -------------------------------------------------------------------------


def _check_fair_use(reader: Reader, fair_use: FairUse) -> FairUse:
    if fair_use.review_per_user < fair_use.allowance_per_user:
        raise reader.fail(
            ("fair_use", "review_per_user"), "must not be less than allowance_per_user"
        )
    return fair_use


def _check_default_priority(reader: Reader, sla: Sla, plans: dict[str, Plan]) -> None:
    for plan in plans.values():
        if sla.default_priority not in plan.priorities:
            raise reader.fail(
                ("sla", "default_priority"),
                f"plan {plan.name!r} has no priority {sla.default_priority!r}",
            )


def parse_policy(text: str, origin: str = "policy") -> Policy:
    """Build a Policy from TOML text; `origin` names the file in error messages. The file's
    `[[versions]]` (`bot.policy.versions`) make its history: the newest version is returned,
    and `policy.at(day)` gives the one in force on a day."""
    return parse_history(text, origin).latest


def parse_history(text: str, origin: str = "policy") -> PolicyHistory:
    """Every version of the policy in TOML text, the top level first."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{origin}: not valid TOML: {exc}") from None
    return policy_history(text, origin, raw, build_policy)


def build_policy(reader: Reader, raw: dict[str, Any]) -> Policy:
    """One version of the policy from its parsed table."""
    origin = reader.origin
    raw = reader.table(raw, (), TOP_LEVEL)
    provider = read_keys(reader, raw.get("provider"), ("provider",), PROVIDER)
    provider["date_order"] = provider["date_order"] or date_order_for(provider["locale"])
    sections = {
        name: read_keys(reader, raw.get(name), (name,), keys) for name, keys in SECTIONS.items()
    }
    fair_use = _check_fair_use(reader, FairUse(**sections["fair_use"]))
    billing = sections["billing"]
    rounding = RoundingRule(billing.pop("increment"), billing.pop("rounding"))
    sla = sections["sla"]
    default_priorities = sla.pop("priorities")
    calendars = _calendars(reader, raw.get("calendars"), provider["timezone"])
    plans = _plans(reader, raw.get("plans"), calendars, default_priorities)
    policy = Policy(
        **provider,
        calendars=calendars,
        plans=plans,
        billing=Billing(rounding=rounding, **billing),
        cancellation=Cancellation(**sections["cancellation"]),
        bookings=Bookings(**sections["bookings"]),
        fair_use=fair_use,
        timers=Timers(**sections["timers"]),
        sla=Sla(**sla),
        roles=Roles(**sections["roles"]),
        insights=Insights(**sections["insights"]),
        alerts=AlertRoutes(**sections["alerts"]),
        source=origin,
    )
    _check_default_priority(reader, policy.sla, plans)
    return policy


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
