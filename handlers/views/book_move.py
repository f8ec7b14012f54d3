"""The Move form: the *Move* button on a booking reply opens it (date and time, in the
agent's timezone); its submission moves like `/book move`. A late move is never made from
the first screen: the form turns into a *Move anyway* screen that says what it bills, and
only submitting that moves the booking (bot.bookings.moves)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.blocks import actions, button, section
from bot.bookings import moves
from bot.bookings.listing import format_span
from bot.bookings.sessions import BookingInputError
from bot.parsing import InputError
from bot.roles import AGENT, PermissionDenied, require
from handlers.context import Hourglass
from handlers.identity import answer_now, group_members, user_timezone
from store.models import Booking

log = logging.getLogger("hourglass." + __name__)

ACTION_OPEN = "book_move_open"
CALLBACK_ID = "book_move"
CONFIRM_ID = "book_move_confirm"
FIELDS = ("date", "time")


def reply_blocks(text: str, booking_id: int) -> list[dict[str, Any]]:
    """A booking reply with its *Move* button."""
    return [section(text), actions(button(ACTION_OPEN, "Move", str(booking_id)))]


def quote_blocks(text: str, quote: moves.MoveQuote) -> list[dict[str, Any]]:
    """A late move's answer with its *Move anyway* button (nothing has changed yet)."""
    anyway = button(moves.ACTION_MOVE_ANYWAY, "Move anyway", quote.token(), style="danger")
    return [section(text), actions(anyway)]


def _text(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def move_modal(booking: Booking, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    local = booking.start_at.astimezone(tz)
    now_at = format_span(booking.start_at, booking.minutes, tz, now=now)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": str(booking.id),
        "title": _text(f"Move #{booking.id}"[:24]),
        "submit": _text("Move"),
        "close": _text("Cancel"),
        "blocks": [
            section(f"*{booking.customer.name}*, now {now_at}."),
            {
                "type": "input",
                "block_id": "date",
                "label": _text("New date"),
                "element": {
                    "type": "datepicker",
                    "action_id": "value",
                    "initial_date": f"{local:%Y-%m-%d}",
                },
            },
            {
                "type": "input",
                "block_id": "time",
                "label": _text("New start time (your timezone)"),
                "element": {
                    "type": "timepicker",
                    "action_id": "value",
                    "initial_time": f"{local:%H:%M}",
                },
            },
        ],
    }


def _notice_view(callback_id: str, title: str, text: str, *, submit: str | None, meta: str):
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": meta,
        "title": _text(title),
        "close": _text("Close" if submit is None else "Don't move"),
        "blocks": [section(text)],
    }
    if submit is not None:
        view["submit"] = _text(submit)
    return view


def _picked(view: dict[str, Any], block_id: str, key: str) -> str:
    values = (view.get("state") or {}).get("values") or {}
    return ((values.get(block_id) or {}).get("value") or {}).get(key) or ""


@dataclass(frozen=True)
class _Agent:
    """Who submitted, checked to be an agent, in one transaction."""

    hg: Hourglass
    db: Session
    user_id: str
    tz: ZoneInfo
    now: datetime


@contextmanager
def _as_agent(body, client: WebClient, context) -> Iterator[_Agent]:
    """The form's submitter in a transaction. Their profile and groups are cached by the
    *Move* click that opened the form; looked up first only if not (identity.answer_now)."""
    hg: Hourglass = context["hourglass"]
    now = hg.clock.now()
    user_id = body["user"]["id"]
    answer_now(hg, client, user_id, lambda strict: _known(hg, user_id, strict))
    with hg.database.session() as db:
        require(db, hg.policy, user_id, AGENT, group_members(hg))
        yield _Agent(hg, db, user_id, user_timezone(hg, db, user_id), now)


def _known(hg: Hourglass, user_id: str, strict: bool) -> None:
    with hg.database.session() as db:
        require(db, hg.policy, user_id, AGENT, group_members(hg, strict=strict))
        user_timezone(hg, db, user_id, strict=strict)


def submit(ack, body, view, client, context):
    """The first screen: a free move is made; a late one turns into *Move anyway*."""
    try:
        with _as_agent(body, client, context) as agent:
            day = _picked(view, "date", "selected_date")
            clock = _picked(view, "time", "selected_time")
            if not day:
                raise BookingInputError("date", "pick a date")
            if not clock:
                raise BookingInputError("time", "pick a start time")
            policy, meta = agent.hg.policy, view.get("private_metadata") or ""
            result = moves.move(
                agent.db, policy, meta, day, clock, actor=agent.user_id, tz=agent.tz, now=agent.now
            )
            if isinstance(result, moves.MoveQuote):
                text = moves.quote_text(policy, result, agent.tz)
                text = text.replace("press *Move anyway*", "submit *Move anyway*")
                screen = _notice_view(
                    CONFIRM_ID, "Move late?", text, submit="Move anyway", meta=result.token()
                )
                return ack(response_action="update", view=screen)
            text = moves.moved_text(policy, result, agent.tz)
    except BookingInputError as exc:
        field = exc.field if exc.field in FIELDS else "date"
        return ack(response_action="errors", errors={field: _sentence(str(exc))})
    except (PermissionDenied, InputError) as exc:
        return ack(response_action="errors", errors={"date": _sentence(str(exc))})
    ack()
    context["hourglass"].later.run(lambda: _dm(client, body["user"]["id"], text), body, context)


def confirm(ack, body, view, client, context):
    """*Move anyway*: the late move is made, charge and all (checked again now)."""
    try:
        with _as_agent(body, client, context) as agent:
            token = view.get("private_metadata") or ""
            result = moves.confirm_move(
                agent.db, agent.hg.policy, token, actor=agent.user_id, tz=agent.tz, now=agent.now
            )
            text = moves.moved_text(agent.hg.policy, result, agent.tz)
    except (PermissionDenied, InputError) as exc:
        screen = _notice_view(
            CONFIRM_ID, "Not moved", f":warning: {_sentence(str(exc))}", submit=None, meta=""
        )
        return ack(response_action="update", view=screen)
    ack()
    context["hourglass"].later.run(lambda: _dm(client, body["user"]["id"], text), body, context)


def _dm(client: WebClient, user_id: str, text: str) -> None:
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as exc:  # the move stands; the customer's channel is told anyway
        log.warning("could not DM the move: %s", exc.response.get("error"))


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
