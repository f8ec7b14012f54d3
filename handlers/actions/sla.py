"""The buttons on an SLA alert: Acknowledge (stops escalation pings) and Take (assigns)."""

from __future__ import annotations

from collections.abc import Callable

from bot.sla import tickets as ticket_service
from handlers.common import ActionCall, run_action


def _run(ack, body, client, context, respond, what: Callable) -> None:
    def handle(call: ActionCall) -> None:
        ticket, customer = ticket_service.get_ticket(call.db, call.value)
        what(call.db, call.policy, ticket, customer, call.user_id, call.now)

    text, ok = run_action(ack=ack, body=body, client=client, context=context, handler=handle)
    # Success shows in the alert itself, which the clock edits in place.
    if not ok and body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)


def on_acknowledge(ack, body, client, context, respond) -> None:
    _run(ack, body, client, context, respond, ticket_service.acknowledge)


def on_take(ack, body, client, context, respond) -> None:
    _run(ack, body, client, context, respond, ticket_service.take)
