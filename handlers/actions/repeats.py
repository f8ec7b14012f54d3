"""*Log again*: the button on the answer to a likely repeat `/log` or `/call`
(handlers/repeats.py); pressing it records the command as typed, once, without asking."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.errors import InputError, PermissionDenied
from bot.roles import AGENT
from handlers.common import ActionCall, Handler, Reply, run_action
from handlers.edge import tell
from handlers.repeats import LABEL, read_again


def again_listener(runners: Mapping[str, Handler]) -> Callable[..., None]:
    """`runners` maps a command (`/log`) to the handler that records it without the
    repeat question."""

    def on_again(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        def record(action: ActionCall) -> Reply:
            command, typed, owner = read_again(action.value)
            if owner != action.user_id:
                raise PermissionDenied(
                    f"this *{LABEL}* button is <@{owner}>'s, who typed the command; "
                    "nothing was recorded"
                )
            if command not in runners:
                raise InputError(f"`{command}` cannot be recorded again from a button")
            return runners[command](action.as_command(typed))

        reply = run_action(
            ack=ack, body=body, client=client, context=context, handler=record, role=AGENT
        )
        tell(body, respond, client, reply.text, replace=True)

    return on_again
