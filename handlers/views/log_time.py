"""The *Log time* form: opened by `/log` with no text, App Home's *Log time* button and the
*Log time on this message* shortcut; its submission logs exactly as `/log <duration>
<customer> [kind] on <date> <note>` would (bot.billing.timelog.log_time) and DMs the same
receipt. The receipt's lines live here so `/log` and the form say the same thing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.billing import timelog
from bot.customers import get_customer
from bot.policy.model import Policy, provider_today
from bot.roles import AGENT, require
from bot.units import format_minutes, format_work_date
from handlers.common import group_members
from handlers.context import hourglass_of
from handlers.views.forms import (
    FieldError,
    chosen,
    customer_picker,
    field,
    input_block,
    modal,
    option,
    text,
)

log = logging.getLogger("hourglass." + __name__)

CALLBACK_ID = "log_time"
ACTION_OPEN = "open_log_time"  # App Home's *Log time* button
KINDS = {"1on1": "1-on-1 (billable)", "general": "General support (never billed)"}


def logged_head(result: timelog.LogResult, verb: str = "Logged") -> str:
    return (
        f":white_check_mark: {verb} {timelog.describe_entry(result.entry, result.customer.name)}."
    )


def outcome_lines(result: timelog.LogResult) -> list[str]:
    """What logging (or undoing) did to the customer's day and hours."""
    entry = result.entry
    lines = []
    if entry.kind == timelog.SupportKind.GENERAL and entry.undone_at is None:
        lines.append("General support is recorded and never billed.")
    if result.receipt is not None:
        lines.append(result.receipt.describe())
        lines.extend(result.drawn)
    elif entry.kind != timelog.SupportKind.GENERAL or entry.undone_at is not None:
        lines.append(
            f"{result.customer.name}, {format_work_date(entry.work_date)}: "
            "no 1-on-1 time logged, nothing billed."
        )
    if result.remaining_minutes is not None:
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


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Log from the form; a refusal is shown next to its field and nothing is recorded."""
    hg = hourglass_of(context)
    now = hg.clock.now()
    user_id = body["user"]["id"]
    with hg.database.session() as db:
        require(db, hg.policy, user_id, AGENT, group_members(hg, client))
        request = request_from_view(hg.policy, view, provider_today(hg.policy, now))
        with field("customer"):
            get_customer(db, request.customer)
        with field("duration"):  # e.g. more than a day logged on that day
            result = timelog.log_time(db, hg.policy, request, agent_id=user_id, now=now)
        receipt = "\n".join([logged_head(result), *outcome_lines(result)])
    ack()
    try:
        client.chat_postMessage(channel=user_id, text=receipt)
    except SlackApiError as exc:  # the entry stands; /log list shows it
        log.warning("could not DM the log receipt: %s", exc.response.get("error"))
