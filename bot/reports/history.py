"""The history of corrections (`/hourglass history`): the audit log (store.models.audit),
newest first, filtered by customer, by person or by month, each change in plain words:
`Fri 20 Nov 10:02 <@U…> undid time entry #12 (3h 1-on-1 for acme on Fri 20 Nov)`.

Each action's words come from what the row kept (`before`, `after`, `reason`), never from
the corrected row as it is now, so a line says what the change was when it was made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from bot.billing.rounding import SupportKind
from bot.billing.timelog import KIND_LABELS
from bot.calls.fair_use import format_call_time
from bot.parsing import month_bounds
from bot.policy.model import Policy
from bot.units import format_minutes, format_work_date
from store.models import AuditEntry
from store.repositories.audit import AuditLog
from store.repositories.core import Customers

# At most this many changes are read for one answer (the newest); a month narrows it.
MAX_SHOWN = 1000
_BOOKING_STATUS = {
    "cancelled": "cancellation",
    "late_cancelled": "late cancellation",
    "no_show": "no-show",
    "booked": "booking",
}
_SETTING = {"plan": "plan", "seats": "seats", "channel_id": "channel", "team_channel": "team"}
_PHONE = {True: "on", False: "off", None: "the plan's"}


def changes(
    db: Session,
    policy: Policy,
    *,
    customer_id: int | None = None,
    user_id: str | None = None,
    month: tuple[int, int] | None = None,
) -> list[AuditEntry]:
    """The audited changes, newest first: of a customer, made by or to a person, in a month
    (the provider's calendar month); at most MAX_SHOWN + 1 (one more says there are more)."""
    start, end = month_bounds(*month, policy.timezone) if month else (None, None)
    return AuditLog.history(
        db, customer_id=customer_id, user_id=user_id, start=start, end=end, limit=MAX_SHOWN + 1
    )


def customer_names(db: Session) -> dict[int, str]:
    return {c.id: c.name for c in Customers.all(db)}


def who(actor: str) -> str:
    return f"<@{actor}>" if actor[:1] in "UW" else actor  # `cli`: the server's shell


def _day(iso: str | None, today: date) -> str:
    if not iso:
        return "?"
    return format_work_date(date.fromisoformat(iso[:10]), today)


def _moment(iso: str | None, zone: tzinfo, today: date) -> str:
    if not iso:
        return "?"
    local = datetime.fromisoformat(iso).astimezone(zone)
    return f"{format_work_date(local.date(), today)} {local:%H:%M}"


def _minutes(value: Any) -> str:
    return format_minutes(int(value)) if value is not None else "?"


def _by(before: dict[str, Any], key: str, actor: str, verb: str) -> str:
    owner = before.get(key)
    return f", {verb} by {who(owner)}" if owner and owner != actor else ""


def _kind(value: Any) -> str:
    try:
        return KIND_LABELS[SupportKind(value)]
    except ValueError:
        return str(value)


def _entry(before: dict[str, Any], today: date) -> str:
    kind = _kind(before.get("kind"))
    return (
        f"{_minutes(before.get('minutes'))} {kind} for {before.get('customer')} on "
        f"{_day(before.get('work_date'), today)}"
    )


def _time_undo(row: AuditEntry, b: dict[str, Any], a: dict[str, Any], today: date) -> str:
    return f"undid time entry #{row.subject_id} ({_entry(b, today)}{_by(b, 'agent_id', row.actor, 'logged')})"


def _time_restore(row: AuditEntry, b: dict[str, Any], today: date) -> str:
    return f"restored undone time entry #{row.subject_id} ({_entry(b, today)}{_by(b, 'agent_id', row.actor, 'logged')})"


def _time_edit(row: AuditEntry, b: dict[str, Any], a: dict[str, Any], today: date) -> str:
    parts = []
    if b.get("minutes") != a.get("minutes"):
        parts.append(f"{_minutes(b.get('minutes'))} → {_minutes(a.get('minutes'))}")
    if b.get("customer") != a.get("customer"):
        parts.append(f"{b.get('customer')} → {a.get('customer')}")
    if b.get("work_date") != a.get("work_date"):
        parts.append(f"{_day(b.get('work_date'), today)} → {_day(a.get('work_date'), today)}")
    was = f"was {_entry(b, today)}{_by(b, 'agent_id', row.actor, 'logged')}"
    return f"edited time entry #{row.subject_id}: {', '.join(parts) or 'no change'} ({was})"


def _call_undo(
    row: AuditEntry, b: dict[str, Any], zone: tzinfo, today: date, verb: str = "undid"
) -> str:
    seconds = b.get("seconds")
    length = format_call_time(int(seconds)) if seconds is not None else "?"
    return (
        f"{verb} call #{row.subject_id} ({length} call with {b.get('caller')} for "
        f"{b.get('customer')} on {_moment(b.get('started_at'), zone, today)}"
        f"{_by(b, 'agent_id', row.actor, 'recorded')})"
    )


def _role(row: AuditEntry, b: dict[str, Any], a: dict[str, Any]) -> str:
    user, was = who(row.subject_id), b.get("role")
    if row.action == "role.remove":
        return f"took away {user}'s {was} role"
    return f"made {user} {_an(a.get('role'))}" + (f" (was {_an(was)})" if was else " (had no role)")


def _an(role: Any) -> str:
    return f"an {role}" if str(role)[:1] in "aeiou" else f"a {role}"


def _setting(field: str, value: Any) -> str:
    if field in ("channel_id", "team_channel"):
        return f"<#{value}>" if value else "none"
    return str(value)


def _customer(row: AuditEntry, name: str, b: dict[str, Any], a: dict[str, Any]) -> str:
    if row.action == "customer.archive":
        return f"archived {name}"
    if row.action == "customer.unarchive":
        return f"brought {name} back from the archive"
    if row.action == "customer.phone":
        was, now = _PHONE.get(b.get("phone_support")), _PHONE.get(a.get("phone_support"))
        return f"set {name}'s phone add-on to {now} (was {was})"
    parts = [
        f"{_SETTING.get(f, f)} {_setting(f, b.get(f))} → {_setting(f, v)}" for f, v in a.items()
    ]
    return f"edited {name}: {', '.join(parts)}"


def _block(row: AuditEntry, name: str, b: dict[str, Any], a: dict[str, Any]) -> str:
    if row.action == "block.void":
        bought = _day(b.get("purchased"), date.min)
        return f"voided hour block #{row.subject_id} of {name} ({_minutes(b.get('minutes'))} bought {bought})"
    return (
        f"adjusted hour block #{row.subject_id} of {name}: {_minutes(b.get('minutes'))} → "
        f"{_minutes(a.get('minutes'))}"
    )


def _booking(row: AuditEntry, name: str, b: dict[str, Any], zone: tzinfo, today: date) -> str:
    what = f"{b.get('kind', 'session')} #{row.subject_id} of {name}"
    when = _moment(b.get("start_at"), zone, today)
    charge = b.get("charge_minutes")
    if row.action == "booking.waive":
        return f"waived the {_minutes(charge)} charge of {what} ({when})"
    if row.action == "booking.unwaive":
        return f"took back the waiver of the {_minutes(charge)} charge of {what} ({when})"
    status = _BOOKING_STATUS.get(str(b.get("status")), str(b.get("status")))
    gone = (
        f"; the {_minutes(charge)} charge went with it" if charge and not b.get("waived_by") else ""
    )
    return f"restored {what} ({when}): the {status} is undone{gone}"


def _ticket(row: AuditEntry, name: str, b: dict[str, Any], zone: tzinfo, today: date) -> str:
    resolved = b.get("resolved_at")
    since = f", resolved {_moment(resolved, zone, today)}" if resolved else ""
    return f'reopened ticket #{row.subject_id} of {name} ("{b.get("subject")}"{since})'


def what_happened(row: AuditEntry, name: str, zone: tzinfo, today: date) -> str:
    """The change in words, without who and when (`undid time entry #12 (…)`)."""
    b, a = row.before or {}, row.after or {}
    kind = row.subject_kind
    simple: dict[str, Callable[[], str]] = {
        "time_entry.undo": lambda: _time_undo(row, b, a, today),
        "time_entry.restore": lambda: _time_restore(row, b, today),
        "time_entry.edit": lambda: _time_edit(row, b, a, today),
        "phone_call.undo": lambda: _call_undo(row, b, zone, today),
        "phone_call.restore": lambda: _call_undo(row, b, zone, today, "restored undone"),
    }
    if row.action in simple:
        return simple[row.action]()
    if kind == "user":
        return _role(row, b, a)
    if kind == "customer":
        return _customer(row, name, b, a)
    if kind == "hour_block":
        return _block(row, name, b, a)
    if kind == "booking":
        return _booking(row, name, b, zone, today)
    if kind == "ticket":
        return _ticket(row, name, b, zone, today)
    return f"{row.action} {kind} #{row.subject_id}"


def describe(row: AuditEntry, names: dict[int, str], zone: tzinfo, today: date) -> str:
    """One line of the history: when (in `zone`), who, what, and the reason given."""
    name = names.get(row.customer_id or 0) or str((row.before or {}).get("customer", "?"))
    at = row.at.astimezone(UTC).astimezone(zone)
    text = f"{format_work_date(at.date(), today)} {at:%H:%M} {who(row.actor)} "
    text += what_happened(row, name, zone, today)
    if row.reason:
        text += f": {row.reason}"
    return text
