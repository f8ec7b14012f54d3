"""Message shortcuts: *Log time on this message* and *Open a ticket from this message*.

Each acks at once, checks the role and finds the customer whose support channel (or team
channel) the message is in, in one short transaction; only then does it call Slack
(chat.getPermalink, views.open), outside any transaction. The form it opens is the same
one `/log` opens, or the ticket form; submitting it does what the typed command does.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.common import ActionCall, run_action
from handlers.context import hourglass_of
from handlers.edge import tell
from handlers.views import log_time, ticket_form
from handlers.views.forms import open_view
from store.repositories.core import Customers

log = logging.getLogger("hourglass." + __name__)

LOG_TIME = "log_time_on_message"
OPEN_TICKET = "open_ticket_from_message"
Body = dict[str, Any]


def channel_customer(call: ActionCall) -> str | None:
    """The customer whose support channel, or else team channel, the message is in."""
    channel = (call.body.get("channel") or {}).get("id", "")
    customer = Customers.by_channel(call.db, channel) or Customers.by_team_channel(call.db, channel)
    return customer.name if customer is not None else None


def permalink(client: WebClient, body: Body) -> str:
    """The message's link (chat.getPermalink); its timestamp if Slack will not say."""
    channel = (body.get("channel") or {}).get("id", "")
    ts = (body.get("message") or {}).get("ts") or body.get("message_ts", "")
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError as exc:
        log.warning("chat.getPermalink failed: %s", exc.response.get("error"))
        return f"message {ts} in <#{channel}>"


def _open(client: WebClient, body: Body, respond: Respond, view: dict[str, Any]) -> None:
    failed = open_view(client, body.get("trigger_id", ""), view)
    if failed:
        tell(body, respond, client, failed, replace=False)


def log_time_on_message(
    ack: Ack, body: Body, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """The *Log time* form, the customer prefilled and the note set to the message's link."""
    customer = run_action(
        ack=ack, body=body, client=client, context=context, handler=channel_customer
    )
    hg = hourglass_of(context)
    view = log_time.log_modal(hg.policy, hg.clock.now(), customer, permalink(client, body))
    _open(client, body, respond, view)


def open_ticket_from_message(
    ack: Ack, body: Body, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """The ticket form, the customer prefilled and the subject from the message's first line."""
    customer = run_action(
        ack=ack, body=body, client=client, context=context, handler=channel_customer
    )
    subject = ticket_form.first_line(str((body.get("message") or {}).get("text") or ""))
    view = ticket_form.ticket_modal(hourglass_of(context).policy, customer, subject)
    _open(client, body, respond, view)
