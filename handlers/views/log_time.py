"""The *Log time* form: opened by `/log` with no text, App Home's *Log time* button and the
*Log time on this message* shortcut; its submission logs exactly as `/log <duration>
<customer> [kind] on <date> <note>` would (bot.billing.timelog.log_time) and DMs the same
receipt. The receipt's lines live here so `/log` and the form say the same thing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.billing import timelog
from bot.customers import check_since_added, customer_for_work
from bot.policy.model import Policy, provider_today
from bot.units import format_minutes, format_work_date
from handlers.views.forms import (
    FieldError,
    FormCall,
    chosen,
    customer_picker,
    field,
    form_listener,
    input_block,
    modal,
    option,
    text,
)

CALLBACK_ID = "log_time"
ACTION_OPEN = "open_log_time"  # App Home's *Log time* button
KINDS = {"1on1": "1-on-1 (billable)", "general": "General support (never billed)"}


def logged_head(result: timelog.LogResult, verb: str = "Logged") -> str:
    entry = result.entry
    # The id is what `/log undo #id` and `/log edit #id` take.
    return (
        f":white_check_mark: {verb} "
        f"{timelog.describe_entry(entry, result.customer.name, today=result.today)}."
        f" Entry #{entry.id}."
    )


def outcome_lines(result: timelog.LogResult) -> list[str]:
    """What logging (or undoing) did to the customer's day and hours."""
    entry = result.entry
    lines = []
    if entry.kind == timelog.SupportKind.GENERAL and entry.undone_at is None:
        lines.append("General support is recorded and never billed.")
    if result.receipt is not None:
        lines.append(result.receipt.describe(result.today))
        lines.extend(result.drawn)
    elif entry.kind != timelog.SupportKind.GENERAL or entry.undone_at is not None:
        lines.append(
            f"{result.customer.name}, {format_work_date(entry.work_date, result.today)}: "
            "no 1-on-1 time logged, nothing billed."
        )
    if result.remaining_minutes == 0:
        lines.append(f"{result.customer.name} has no prepaid hours left.")
    elif result.remaining_minutes is not None:
        lines.append(
            f"{result.customer.name} has {format_minutes(result.remaining_minutes)} "
            "of prepaid hours left."
        )
    return lines


def log_modal(policy: Policy, now: datetime, customer: str | None = None, note: str = "") -> dict:
    """The form; the date defaults to today's billing day (the provider's day)."""
    kind: dict[str, Any] = {
        "type": "static_select",
        "options": [option(k, v) for k, v in KINDS.items()],
    }
    kind["initial_option"] = option("1on1", KINDS["1on1"])
    note_input: dict[str, Any] = {"type": "plain_text_input", "multiline": True}
    if note:
        note_input["initial_value"] = note[: timelog.MAX_NOTE]
    today = provider_today(policy, now).isoformat()
    blocks = [
        input_block("customer", "Customer", customer_picker(customer)),
        input_block(
            "duration",
            "Duration",
            {"type": "plain_text_input", "placeholder": text("30m, 1h, 1:30")},
        ),
        input_block("date", "Date", {"type": "datepicker", "initial_date": today}),
        input_block("kind", "Kind", kind),
        input_block("note", "Note", note_input, optional=True),
    ]
    return modal(CALLBACK_ID, "Log time", "Log", blocks)


def request_from_view(policy: Policy, view: dict[str, Any], today: date) -> timelog.LogRequest:
    """The form as a LogRequest, each field checked as `/log` checks its words."""
    customer = chosen(view, "customer")
    if not customer:
        raise FieldError("customer", "pick a customer")
    with field("duration"):
        minutes = timelog.parse_entry_minutes(chosen(view, "duration"), policy)
    with field("date"):
        work_date = timelog.parse_work_date(chosen(view, "date") or "today", policy, today)
    kind = timelog.KIND_WORDS.get(chosen(view, "kind") or "1on1")
    if kind is None:
        raise FieldError("kind", "pick 1-on-1 or general")
    note = chosen(view, "note") or None
    if note is not None and len(note) > timelog.MAX_NOTE:
        raise FieldError("note", f"the note is limited to {timelog.MAX_NOTE} characters")
    return timelog.LogRequest(minutes, customer, kind, None, work_date, note)


def log_from_form(form: FormCall) -> str:
    """Log from the form as `/log` would; the receipt `/log` answers."""
    request = request_from_view(form.policy, form.view, provider_today(form.policy, form.now))
    with field("customer"):
        customer = customer_for_work(form.db, request.customer)
    with field("date"):
        check_since_added(customer, request.work_date, form.policy)
    with field("duration"):  # e.g. more than a day logged on that day
        result = timelog.log_time(
            form.db, form.policy, request, agent_id=form.user_id, now=form.now
        )
    return "\n".join([logged_head(result), *outcome_lines(result)])


submit = form_listener(log_from_form)
