"""The *Record a call* form: opened by `/call` with no text and App Home's *Record a call*
button; its submission records exactly as `/call <duration> <customer> <caller> [on <date>]
[q=1-5] [note…]` would (bot.calls.calls.record_call) and DMs the same reply."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.calls import calls
from bot.customers import check_since_added, customer_for_work
from bot.parsing import check_days_back, parse_date, parse_duration, parse_name
from bot.policy.model import Policy, provider_today
from bot.units import format_work_date
from handlers.views.forms import (
    FormCall,
    customer_picker,
    field,
    form_listener,
    input_block,
    modal,
    option,
    text,
)

CALLBACK_ID = "record_call"
ACTION_OPEN = "open_record_call"  # App Home's *Record a call* button


def call_modal(policy: Policy, now: datetime, customer: str | None = None) -> dict[str, Any]:
    """The form. No date means the call just ended, as `/call` without `on <date>`."""
    del policy, now  # the same signature as the other forms; nothing here depends on them
    quality = {"type": "static_select", "options": [option(str(q), str(q)) for q in range(1, 6)]}
    blocks = [
        input_block("customer", "Customer", customer_picker(customer)),
        input_block("caller", "Caller", {"type": "plain_text_input", "placeholder": text("jane")}),
        input_block(
            "duration", "Duration", {"type": "plain_text_input", "placeholder": text("12m, 0:45")}
        ),
        input_block("date", "Date (empty: it just ended)", {"type": "datepicker"}, optional=True),
        input_block("quality", "Quality (1-5)", quality, optional=True),
        input_block("note", "Note", {"type": "plain_text_input", "multiline": True}, optional=True),
    ]
    return modal(CALLBACK_ID, "Record a call", "Record", blocks)


def record_from_form(form: FormCall) -> str:
    """Record the call as `/call` would; the reply `/call` answers."""
    with field("customer"):
        customer = customer_for_work(form.db, form.customer_name())
    with field("caller"):
        caller = parse_name(form.value("caller"), "caller")
    with field("duration"):
        duration = parse_duration(form.value("duration"))
    day = form.value("date")
    with field("date"):
        on = parse_date(day, provider_today(form.policy, form.now)) if day else None
        if on is not None:  # the date's own refusals on the date, not on the duration
            check_days_back(on, provider_today(form.policy, form.now), "a call")
            check_since_added(customer, on, form.policy, "a call")
    with field("quality"):
        quality = calls.parse_quality(form.value("quality")) if form.value("quality") else None
    tz = form.user_tz()
    with field("duration"):  # longer than the longest call, or a date too far back
        outcome = calls.record_call(
            form.db,
            form.policy,
            customer=customer,
            caller=caller,
            agent_id=form.user_id,
            duration=duration,
            on=on,
            user_tz=tz,
            quality=quality,
            note=form.value("note"),
            now=form.now,
        )
    when = (
        "" if on is None else f" on {format_work_date(on, provider_today(form.policy, form.now))}"
    )
    return ":white_check_mark: " + outcome.summary(when)


submit = form_listener(record_from_form)
