"""What every Hourglass modal shares: Block Kit inputs, the customer picker that searches past
100 customers (an `external_select` fed by `customer_options`), reading a submitted view,
tying a refusal to the field it is about, and opening a view after the transaction.

A modal's submission calls the same bot/ function as the typed command; a refusal raised
inside `field("duration")` is shown next to that field by the edge (its `field`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.alerts import nowhere
from bot.errors import InputError, PermissionDenied
from bot.policy.model import Policy
from bot.roles import AGENT, require
from handlers.common import Reply
from handlers.context import Hourglass, hourglass_of
from handlers.identity import answer_now, group_members, user_timezone
from store.repositories.core import Customers

log = logging.getLogger("hourglass." + __name__)

CUSTOMER_SEARCH = "customer_search"  # the picker's action id: app.options routes on it
MAX_OPTIONS = 100  # Slack shows at most 100 options in a select


class FieldError(InputError):
    """Bad input for one field of a modal (shown next to that field)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@contextmanager
def field(name: str) -> Iterator[None]:
    """Refusals raised inside are about the field `name` (a FieldError keeps its own)."""
    try:
        yield
    except FieldError:
        raise
    except InputError as exc:
        raise FieldError(name, str(exc)) from exc


def text(value: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": value}


def option(value: str, label: str) -> dict[str, Any]:
    return {"text": text(label[:75]), "value": value}


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    """An input block; its element's action id is "value" unless it names its own."""
    return {
        "type": "input",
        "block_id": block_id,
        "label": text(label),
        "element": {"action_id": "value", **element},
        "optional": optional,
    }


def customer_picker(initial: str | None = None) -> dict[str, Any]:
    """A customer select that asks Hourglass for the customers matching what is typed."""
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": CUSTOMER_SEARCH,
        "placeholder": text("Type to search customers"),
        "min_query_length": 0,
    }
    if initial:
        element["initial_option"] = option(initial, initial)
    return element


def modal(
    callback_id: str, title: str, submit: str, blocks: list[dict], metadata: str = ""
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "title": text(title),
        "submit": text(submit),
        "close": text("Cancel"),
        "blocks": blocks,
    }


def customer_options(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The picker's options: customers whose name starts with what was typed (first 100)."""
    hg = hourglass_of(context)
    typed = str(body.get("value") or "").strip().lower()
    with hg.database.session() as db:
        try:
            require(db, hg.policy, body["user"]["id"], AGENT, group_members(hg))
        except PermissionDenied:
            ack(options=[])
            return
        found = Customers.starting_with(db, typed, MAX_OPTIONS)
        names = [c.name for c in found if c.archived_at is None]  # archived: no new work
    ack(options=[option(name, name) for name in names])


def state(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """block id -> the state of its one element, whatever its action id."""
    values = (view.get("state") or {}).get("values") or {}
    return {block: next(iter(actions.values()), {}) for block, actions in values.items() if actions}


def chosen(view: dict[str, Any], block_id: str) -> str:
    """What a field holds: a picked option's value, a date, or the typed text ("" if none)."""
    element = state(view).get(block_id) or {}
    picked = (element.get("selected_option") or {}).get("value")
    found = picked or element.get("selected_date") or element.get("value") or ""
    return str(found).strip()


def open_view(client: WebClient, trigger_id: str, view: dict[str, Any]) -> str | None:
    """Open a modal; None, or the line to tell the person when Slack refused it."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        return ":warning: The form could not be opened; type the command instead."
    return None


def opening(client: WebClient, trigger_id: str, view: dict[str, Any], says: str) -> Reply:
    """A command's reply that opens `view` once its transaction is over (run_command runs
    `after_commit` before acking, within Slack's 3 seconds for the trigger)."""
    reply = Reply(says)
    reply.after_commit.append(lambda: open_view(client, trigger_id, view))
    return reply


@dataclass
class FormCall:
    """One form submission, with what its handler needs (inside the one transaction)."""

    hg: Hourglass
    db: Session
    client: WebClient
    user_id: str
    now: datetime
    view: dict[str, Any]
    strict: bool = False  # True: a lookup only Slack can answer raises Unresolved

    @property
    def policy(self) -> Policy:
        return self.hg.policy

    def value(self, block_id: str) -> str:
        return chosen(self.view, block_id)

    def user_tz(self) -> ZoneInfo:
        """The submitter's timezone, from the cache (handlers/identity.py)."""
        return user_timezone(self.hg, self.db, self.user_id, strict=self.strict)

    def customer_name(self) -> str:
        name = self.value("customer")
        if not name:
            raise FieldError("customer", "pick a customer")
        return name


FormListener = Callable[[Ack, dict[str, Any], dict[str, Any], WebClient, BoltContext], None]


def form_listener(handler: Callable[[FormCall], str]) -> FormListener:
    """A view-submission listener: an agent's form is `handler`'s one transaction, whose
    answer is DMed once it is over. A refusal raises before the ack, so the edge shows it
    by its field (`response_action: errors`) and nothing is recorded."""

    def listener(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        hg = hourglass_of(context)
        user_id = body["user"]["id"]

        def attempt(strict: bool) -> str:
            with hg.database.session() as db:
                require(db, hg.policy, user_id, AGENT, group_members(hg, strict=strict))
                call = FormCall(hg, db, client, user_id, hg.clock.now(), view, strict)
                answer = handler(call)
                # alerts the form raised with nowhere to post (issue 19 item 7)
                return "\n".join([answer, *(note.line() for note in nowhere.taken(db))])

        reply = answer_now(hg, client, user_id, attempt)
        ack()

        def tell() -> None:
            try:
                client.chat_postMessage(channel=user_id, text=reply)
            except SlackApiError as exc:  # what was recorded stands; the lists show it
                log.warning("could not DM the form's answer: %s", exc.response.get("error"))

        hg.later.run(tell, body, context)  # the DM after the ack, off the request

    return listener
