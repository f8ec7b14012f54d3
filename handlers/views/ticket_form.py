"""The *Open a ticket* form, opened by the *Open a ticket from this message* shortcut: the
customer and subject come prefilled; its submission opens the ticket exactly as `/ticket
open <customer> <priority> <subject…>` would (bot.sla.tickets.open_ticket) and DMs the same
reply."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.customers import get_customer
from bot.policy.model import Policy
from bot.roles import AGENT, require
from bot.sla import tickets as ticket_service
from handlers.commands.ticket import opened_text
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
)

log = logging.getLogger("hourglass." + __name__)

CALLBACK_ID = "open_ticket"


def first_line(message: str) -> str:
    """A subject from a message: its first non-empty line, cut to what a subject may hold."""
    line = next((ln.strip() for ln in message.splitlines() if ln.strip()), "")
    return line[: ticket_service.MAX_SUBJECT]


def ticket_modal(policy: Policy, customer: str | None, subject: str) -> dict[str, Any]:
    """The form. The priorities offered are every plan's (the chosen customer's plan decides
    at submission, as `/ticket open` does); the default priority is preselected."""
    names = list(dict.fromkeys(p for plan in policy.plans.values() for p in plan.priorities))
    priority: dict[str, Any] = {"type": "static_select", "options": [option(p, p) for p in names]}
    if policy.sla.default_priority in names:
        default = policy.sla.default_priority
        priority["initial_option"] = option(default, default)
    subject_input: dict[str, Any] = {"type": "plain_text_input"}
    if subject:
        subject_input["initial_value"] = subject
    blocks = [
        input_block("customer", "Customer", customer_picker(customer)),
        input_block("priority", "Priority", priority),
        input_block("subject", "Subject", subject_input),
    ]
    return modal(CALLBACK_ID, "Open a ticket", "Open", blocks)


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Open the ticket; a refusal is shown next to its field and nothing is recorded."""
    hg = hourglass_of(context)
    now = hg.clock.now()
    user_id = body["user"]["id"]
    with hg.database.session() as db:
        require(db, hg.policy, user_id, AGENT, group_members(hg, client))
        if not chosen(view, "customer"):
            raise FieldError("customer", "pick a customer")
        with field("customer"):
            customer = get_customer(db, chosen(view, "customer"))
        with field("priority"):
            priority = chosen(view, "priority") or hg.policy.sla.default_priority
            ticket_service.checked_priority(ticket_service.plan_for(hg.policy, customer), priority)
        with field("subject"):
            ticket, clocks = ticket_service.open_ticket(
                db,
                hg.policy,
                customer=customer,
                priority=priority,
                subject=chosen(view, "subject"),
                opened_at=now,
                actor=user_id,
                now=now,
            )
        zone = user_timezone(hg, db, client, user_id, now)
        reply = opened_text(hg.policy, ticket, customer, clocks, now, zone)
    ack()
    try:
        client.chat_postMessage(channel=user_id, text=reply)
    except SlackApiError as exc:  # the ticket stands; /ticket list shows it
        log.warning("could not DM the ticket reply: %s", exc.response.get("error"))
