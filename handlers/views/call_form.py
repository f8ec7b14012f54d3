"""The *Record a call* form: opened by `/call` with no text and App Home's *Record a call*
button; its submission records exactly as `/call <duration> <customer> <caller> [on <date>]
[q=1-5] [note…]` would (bot.calls.calls.record_call) and DMs the same reply."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.calls import calls
from bot.customers import get_customer
from bot.parsing import parse_date, parse_duration, parse_name
from bot.policy.model import Policy, provider_today
from bot.roles import AGENT, require
from bot.units import format_work_date
from handlers.common import group_members, user_timezone
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


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Record from the form; a refusal is shown next to its field and nothing is recorded."""
    hg = hourglass_of(context)
    now = hg.clock.now()
    user_id = body["user"]["id"]
    with hg.database.session() as db:
        require(db, hg.policy, user_id, AGENT, group_members(hg, client))
        if not chosen(view, "customer"):
            raise FieldError("customer", "pick a customer")
        with field("customer"):
            customer = get_customer(db, chosen(view, "customer"))
        with field("caller"):
            caller = parse_name(chosen(view, "caller"), "caller")
        with field("duration"):
            duration = parse_duration(chosen(view, "duration"))
        day = chosen(view, "date")
        with field("date"):
            on = parse_date(day, provider_today(hg.policy, now)) if day else None
        quality = int(chosen(view, "quality")) if chosen(view, "quality") else None
        tz = user_timezone(hg, db, client, user_id, now)
        with field("duration"):  # longer than the longest call, or a date too far back
            outcome = calls.record_call(
                db,
                hg.policy,
                customer=customer,
                caller=caller,
                agent_id=user_id,
                duration=duration,
                on=on,
                user_tz=tz,
                quality=quality,
                note=chosen(view, "note"),
                now=now,
            )
        when = "" if on is None else f" on {format_work_date(on)}"
        reply = ":white_check_mark: " + outcome.summary(when)
    ack()
    try:
        client.chat_postMessage(channel=user_id, text=reply)
    except SlackApiError as exc:  # the call stands; App Home shows it
        log.warning("could not DM the call receipt: %s", exc.response.get("error"))
