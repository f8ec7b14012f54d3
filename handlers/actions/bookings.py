"""Buttons on booking replies: *Move* (opens the Move form) and *Move anyway* (makes a late
move its answer has just priced)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.bookings import moves
from bot.parsing import InputError, parse_record_id
from bot.roles import AGENT
from handlers.common import ActionCall, run_action
from handlers.edge import tell
from handlers.identity import user_timezone
from handlers.views.book_move import move_modal
from store.repositories.bookings import Bookings

log = logging.getLogger("hourglass." + __name__)

Body = dict[str, Any]


def open_move(
    ack: Ack, body: Body, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """*Move*: the Move form for the booking, prefilled with its time."""

    def form(call: ActionCall) -> tuple[int, dict[str, Any]]:
        booking = Bookings.find(call.db, parse_record_id(call.value, "booking"))
        if booking is None:
            raise InputError(f"there is no booking #{call.value}")
        tz = user_timezone(call.hg, call.db, call.user_id)
        return booking.id, move_modal(booking, tz, call.now)

    booking_id, view = run_action(
        ack=ack, body=body, client=client, context=context, handler=form, role=AGENT
    )
    try:  # after the transaction: no Slack call is made inside one
        client.views_open(trigger_id=body.get("trigger_id", ""), view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        text = (
            f":warning: The Move form could not be opened; type "
            f"`/book move #{booking_id} <date> <time>` instead."
        )
        tell(body, respond, client, text, replace=False)


def move_anyway(
    ack: Ack, body: Body, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """*Move anyway*: the late move is made, charged as a late cancellation."""

    def confirm(call: ActionCall) -> str:
        tz = user_timezone(call.hg, call.db, call.user_id)
        moved = moves.confirm_move(
            call.db, call.policy, call.value, actor=call.user_id, tz=tz, now=call.now
        )
        return moves.moved_text(call.policy, moved, tz)

    # A refusal raises out of run_action and the edge tells the user; here it was made.
    text = run_action(
        ack=ack, body=body, client=client, context=context, handler=confirm, role=AGENT
    )
    tell(body, respond, client, text, replace=True)
