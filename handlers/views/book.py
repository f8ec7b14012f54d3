"""The booking form: `/book` with no text opens it; its submission books like the command.

The submission is validated by the same bot.bookings.book as `/book <text>`; a bad field is
shown next to that field (`response_action: errors`) and nothing is recorded.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.bookings import sessions as bookings
from bot.roles import AGENT, require
from handlers.context import hourglass_of
from handlers.identity import Unresolved, answer_now, group_members, user_timezone
from handlers.views.book_move import reply_blocks
from handlers.views.forms import MAX_OPTIONS, customer_picker
from handlers.views.forms import chosen as chosen_value
from handlers.views.forms import input_block as _input
from handlers.views.forms import option as _option
from handlers.views.forms import text as _text
from store.repositories.core import Customers, UserProfiles

log = logging.getLogger("hourglass." + __name__)

CALLBACK_ID = "book_session"


def check_engineers(db: Session, form: bookings.BookingForm, *, strict: bool) -> None:
    """Every named engineer must be a person in Slack: one with a cached profile. Unknown
    ones are looked up (users.info; bots and deactivated accounts are not stored) before
    the transaction: `strict` raises Unresolved for them, so the caller does that first."""
    unknown = [u for u in form.engineers if not (p := UserProfiles.find(db, u)) or not p.name]
    if unknown and strict:
        raise Unresolved("the engineers named", users=unknown)
    if unknown:
        raise bookings.BookingInputError(
            "engineers",
            f"I can't find the Slack user <@{unknown[0]}>, or it is not a person who can "
            "take a session",
        )


def booking_modal(
    db: Session, channel_id: str = "", *, prefill: bookings.BookingForm | None = None
) -> dict[str, Any]:
    """The form; up to 100 customers are listed, more are searched (the external select).
    `prefill` (the long-call alert's *Book training*) fills in customer, duration, training."""
    customers = [c for c in Customers.all(db) if c.archived_at is None]  # no new work
    chosen = prefill.customer if prefill is not None else None
    customer: dict[str, Any] = customer_picker(chosen)
    if 0 < len(customers) <= MAX_OPTIONS:
        customer = {
            "type": "static_select",
            "placeholder": _text("Pick a customer"),
            "options": [_option(c.name, c.name) for c in customers],
        }
        if chosen in {c.name for c in customers}:
            customer["initial_option"] = _option(str(chosen), str(chosen))
    duration: dict[str, Any] = {"type": "plain_text_input", "placeholder": _text("1h, 90m, 1:30")}
    if prefill is not None and prefill.duration:
        duration["initial_value"] = prefill.duration
    options = [
        _option("extra", "Engineers above were requested by the customer (extra)"),
        _option("training", "Training session (billed at the training rate)"),
    ]
    checked = {"options": options}
    if prefill is not None and prefill.training:
        checked["initial_options"] = [options[1]]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": channel_id,
        "title": _text("Book a session"),
        "submit": _text("Book"),
        "close": _text("Cancel"),
        "blocks": [
            _input("customer", "Customer", customer),
            _input("date", "Date", {"type": "datepicker"}),
            _input("time", "Start time (your timezone)", {"type": "timepicker"}),
            _input("duration", "Duration", duration),
            _input(
                "engineers",
                "Engineers (empty: you)",
                {"type": "multi_users_select", "placeholder": _text("Pick engineers")},
                optional=True,
            ),
            _input("options", "Options", {"type": "checkboxes", **checked}, optional=True),
        ],
    }


def form_from_view(view: dict[str, Any]) -> bookings.BookingForm:
    values = (view.get("state") or {}).get("values") or {}

    def element(block_id: str) -> dict:
        return (values.get(block_id) or {}).get("value") or {}

    name = chosen_value(view, "customer")  # a listed, searched or typed customer
    options = {o.get("value") for o in element("options").get("selected_options") or []}
    return bookings.BookingForm(
        customer=name.strip(),
        day=element("date").get("selected_date") or "",
        clock=element("time").get("selected_time") or "",
        duration=(element("duration").get("value") or "").strip(),
        engineers=tuple(dict.fromkeys(element("engineers").get("selected_users") or [])),
        extra="extra" in options,
        training="training" in options,
    )


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Book from the form. A refusal raises: the edge shows it next to the field it names
    (a BookingInputError's `field`), else next to the first field, and nothing is recorded."""
    hg = hourglass_of(context)
    user_id = body["user"]["id"]

    def attempt(strict: bool) -> tuple[str, int]:
        now = hg.clock.now()
        with hg.database.session() as db:
            require(db, hg.policy, user_id, AGENT, group_members(hg, strict=strict))
            form = form_from_view(view)
            if not form.day:
                raise bookings.BookingInputError("date", "pick a date")
            if not form.clock:
                raise bookings.BookingInputError("time", "pick a start time")
            check_engineers(db, form, strict=strict)
            tz = user_timezone(hg, db, user_id, strict=strict)
            booking = bookings.book(db, hg.policy, form, agent=user_id, tz=tz, now=now)
            return bookings.confirmation(db, hg.policy, booking, tz), booking.id

    text, booking_id = answer_now(hg, client, user_id, attempt)
    ack()
    hg.later.run(lambda: _confirm(client, user_id, text, booking_id), body, context)


def _confirm(client: WebClient, user_id: str, text: str, booking_id: int) -> None:
    try:
        client.chat_postMessage(channel=user_id, text=text, blocks=reply_blocks(text, booking_id))
    except SlackApiError as exc:  # the booking stands; the customer's channel is told anyway
        log.warning("could not DM the booking confirmation: %s", exc.response.get("error"))
