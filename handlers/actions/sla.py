"""The buttons on an SLA alert: Acknowledge (stops escalation pings) and Take (assigns)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.sla import tickets as ticket_service
from handlers.common import ActionCall, run_action
from store.models import Customer, Ticket

TicketStep = Callable[[Session, Policy, Ticket, Customer, str, datetime], Any]


def _run(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, what: TicketStep
) -> None:
    def handle(call: ActionCall) -> None:
        ticket, customer = ticket_service.get_ticket(call.db, call.value)
        what(call.db, call.policy, ticket, customer, call.user_id, call.now)

    # Success shows in the alert itself, which the clock edits in place; a refusal is told
    # to the clicker by the edge.
    run_action(ack=ack, body=body, client=client, context=context, handler=handle)


def on_acknowledge(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    _run(ack, body, client, context, ticket_service.acknowledge)


def on_take(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    _run(ack, body, client, context, ticket_service.take)
