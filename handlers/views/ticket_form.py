"""The *Open a ticket* form, opened by `/ticket` alone, App Home's *Open a ticket* button and
the *Open a ticket from this message* shortcut (which prefills the customer and subject); its
submission opens the ticket exactly as `/ticket open <customer> <priority> <subject…>` would
(bot.sla.tickets.open_ticket) and DMs the same reply."""

from __future__ import annotations

from typing import Any

from bot.customers import customer_for_work
from bot.policy.model import Policy
from bot.sla import tickets as ticket_service
from handlers.views.forms import (
    FormCall,
    customer_picker,
    field,
    form_listener,
    input_block,
    modal,
    option,
)
from handlers.views.ticket_lines import opened_text

CALLBACK_ID = "open_ticket"
ACTION_OPEN = "open_ticket_form"  # App Home's *Open a ticket* button


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


def open_from_form(form: FormCall) -> str:
    """Open the ticket as `/ticket open` would; the reply it answers."""
    with field("customer"):
        customer = customer_for_work(form.db, form.customer_name())
    with field("priority"):
        priority = form.value("priority") or form.policy.sla.default_priority
        ticket_service.checked_priority(ticket_service.plan_for(form.policy, customer), priority)
    with field("subject"):
        ticket, clocks = ticket_service.open_ticket(
            form.db,
            form.policy,
            customer=customer,
            priority=priority,
            subject=form.value("subject"),
            opened_at=form.now,
            actor=form.user_id,
            now=form.now,
        )
    zone = form.user_tz()
    return opened_text(form.policy, ticket, customer, clocks, form.now, zone)


submit = form_listener(open_from_form)
