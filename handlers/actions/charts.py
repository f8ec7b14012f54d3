"""*Chart* on a balance reply (and on App Home's customers at risk): `/balance <customer>
chart` where the button was pressed; from App Home, into the presser's DM."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.roles import AGENT
from handlers.commands import balance
from handlers.common import ActionCall, Reply, run_action
from handlers.edge import tell


def on_chart_balance(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    def draw(action: ActionCall) -> Reply:
        return balance.chart(action.as_command(f"{action.value} chart"))

    reply = run_action(ack=ack, body=body, client=client, context=context, handler=draw, role=AGENT)
    # The transaction is over: the drawing and the upload happen now, then where it went.
    lines = [line for step in reply.after_commit if (line := step())]
    tell(body, respond, client, "\n".join([reply.text, *lines]), replace=False)
