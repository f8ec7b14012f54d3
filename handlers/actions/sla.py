"""The buttons on an SLA alert: Acknowledge (stops escalation pings) and Take (assigns)."""

from __future__ import annotations

from bot import tickets as ticket_service
from bot.parsing import InputError
from bot.roles import AGENT, PermissionDenied, require
from handlers.common import group_members
from handlers.context import Hourglass


def _run(ack, body, client, context, respond, what) -> None:
    ack()
    hg: Hourglass = context["hourglass"]
    user = body["user"]["id"]
    value = (body.get("actions") or [{}])[0].get("value", "")
    now = hg.clock.now()
    try:
        with hg.database.session() as db:
            require(db, hg.policy, user, AGENT, group_members(hg, client))
            ticket, customer = ticket_service.get_ticket(db, value)
            what(db, hg.policy, ticket, customer, user, now)
    except (PermissionDenied, InputError) as exc:
        if body.get("response_url"):
            respond(text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False)


def on_acknowledge(ack, body, client, context, respond) -> None:
    _run(ack, body, client, context, respond, ticket_service.acknowledge)


def on_take(ack, body, client, context, respond) -> None:
    _run(ack, body, client, context, respond, ticket_service.take)
