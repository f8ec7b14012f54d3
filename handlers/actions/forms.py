"""Buttons that open a form: App Home's *Log time*, *Record a call* and *Open a ticket*. The click is acked
first, the role checked in one transaction, and the modal opened after it (Slack is never
called inside a transaction)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from handlers.common import ActionCall, run_action
from handlers.edge import tell
from handlers.views import call_form, log_time, ticket_form
from handlers.views.forms import open_view

Body = dict[str, Any]
ViewFor = Callable[[ActionCall], dict[str, Any]]


def opener(view_for: ViewFor) -> Callable[[Ack, Body, Respond, WebClient, BoltContext], None]:
    """A listener that opens the view `view_for` builds, as the clicking agent."""

    def listener(
        ack: Ack, body: Body, respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        view = run_action(ack=ack, body=body, client=client, context=context, handler=view_for)
        failed = open_view(client, body.get("trigger_id", ""), view)
        if failed:
            tell(body, respond, client, failed, replace=False)

    return listener


open_log_time = opener(lambda call: log_time.log_modal(call.policy, call.now))
open_record_call = opener(lambda call: call_form.call_modal(call.policy, call.now))
open_ticket = opener(lambda call: ticket_form.ticket_modal(call.policy, None, ""))
