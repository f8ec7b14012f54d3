"""Long lists in pages: a list command answers the items that fit (bot.blocks.paginate) and,
when some are left, says how many and offers *More*, a button that answers the next page.

The button carries the command, what was typed after it and where the next page starts, so
paging keeps no state: *More* runs the list again, as the clicker, from that item.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import Block, actions, button, paginate
from bot.errors import InputError
from bot.text import clean, parse_whole
from handlers.common import READS, ActionCall, CommandCall, Handler, Reply, run_action

log = logging.getLogger("hourglass." + __name__)

ACTION_MORE = "page_more"


def more_button(command: str, typed: str) -> Callable[[int], Block]:
    def build(offset: int) -> Block:
        value = json.dumps({"command": command, "text": typed, "from": offset})
        return actions(button(ACTION_MORE, "More", value), block_id=f"more:{offset}")

    return build


def paged_reply(
    call: CommandCall, command: str, head: str, items: Sequence[str], tail: Sequence[str] = ()
) -> Reply:
    """The page of `items` that starts at the item *More* asked for (the first, when typed)."""
    page = paginate(head, items, tail, offset=call.page_from, more=more_button(command, call.text))
    return Reply(page.text, page.blocks)


def _wanted(value: str) -> tuple[str, str, int]:
    try:
        wanted = json.loads(value)
        return (
            str(wanted["command"]),
            clean(str(wanted["text"])),  # JSON escapes inside a value pass the edge's clean
            parse_whole(str(wanted["from"]), "a page"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError("that *More* button is from an older version; run the list again") from exc


def more_listener(lists: Mapping[str, tuple[Handler, str]]) -> Callable[..., None]:
    """The *More* click: `lists` maps a list command (`/ticket list`) to its handler and role."""

    def on_more(
        ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        value = (body.get("actions") or [{}])[0].get("value", "")
        command, typed, start = _wanted(value)
        if command not in lists:
            raise InputError(f"`{command}` has no pages")
        handler, role = lists[command]

        def next_page(action: ActionCall) -> Reply:
            return handler(action.as_command(typed, page_from=max(0, start)))

        reply = run_action(
            ack=ack,
            body=body,
            client=client,
            context=context,
            handler=next_page,
            role=role,
            readonly=handler in READS,
        )
        _answer(body, respond, client, reply)

    return on_more


def _answer(body: dict[str, Any], respond: Respond, client: WebClient, reply: Reply) -> None:
    """The next page as a new message under the last: by response_url, else as a DM."""
    blocks = reply.payload()["blocks"]
    try:
        if body.get("response_url"):
            respond(
                text=reply.text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
            return
        client.chat_postMessage(channel=body["user"]["id"], text=reply.text, blocks=blocks)
    except (SlackApiError, OSError) as exc:
        log.warning("could not send the next page: %s", exc)
