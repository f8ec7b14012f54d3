"""The Slack edge: what happens around every command, action, view submission and event.

Installed on the Bolt app in one place (`install`), with Bolt's own hooks:

- a global middleware gives each request a reference (`ref`, six hex characters) and puts
  the `Hourglass` services on the context; the next one (handlers/gate.py) refuses
  requests from another workspace and replayed signatures;
- the app's error handler is the one place an exception becomes a reply: a refusal
  (`bot.errors.HourglassError`) is answered as the user's mistake, a lost race
  (`IntegrityError`) as a Conflict in plain words, and anything else as
  ":x: Something went wrong on our side (ref 7f3a2c)" with the traceback logged under that
  ref; never Bolt's empty 500;
- the listener-completion hook logs one line per request: what, who, outcome, duration, ref;
- work handed to after the ack (handlers/later.py) that fails is reported by `late_error`:
  the same reply, sent through `response_url`, and one more log line.

`as_refusal` (which store errors are refusals) is shared with the CLI edge in app.py.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_bolt.listener.listener_completion_handler import CustomListenerCompletionHandler
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot.errors import (
    ConfigError,
    Conflict,
    HourglassError,
    InputError,
    NotFound,
    PermissionDenied,
)
from handlers.common import Reply, error_reply
from handlers.context import Hourglass
from handlers.gate import gate
from store.db import DatabaseUnavailable, NotMigrated

log = logging.getLogger("hourglass.requests")

LOST_RACE = "someone else changed this at the same moment, so nothing was saved; please try again"


def new_ref() -> str:
    """A fresh request reference: short enough to read out, unique enough to grep for."""
    return secrets.token_hex(3)


def as_refusal(error: BaseException) -> HourglassError | None:
    """The error as one of bot.errors' kinds, or None if it is a bug (unexpected).

    The store may not import bot/, so its errors are translated here: a lost race on a
    unique constraint is a Conflict, an unmigrated or unreachable database a ConfigError,
    and a store-level LookupError (a `get` that found nothing) a NotFound.
    """
    if isinstance(error, HourglassError):
        return error
    if isinstance(error, IntegrityError):
        return Conflict(LOST_RACE)
    if isinstance(error, NotMigrated | DatabaseUnavailable):
        return ConfigError(str(error))
    if isinstance(error, LookupError) and type(error).__module__.startswith("store."):
        return NotFound(str(error))
    return None


def unexpected_text(ref: str) -> str:
    return f":x: Something went wrong on our side (ref {ref})"


# --- what the request is ---------------------------------------------------------------------


def describe(body: dict[str, Any]) -> tuple[str, str]:
    """(kind, what): ("command", "/balance"), ("action", "timer_stop"), ("view", callback id),
    ("shortcut", callback id),
    ("event", "reaction_added"), or ("other", type) for Slack's own housekeeping."""
    if "command" in body:
        return "command", str(body["command"])
    kind = body.get("type")
    if kind == "block_actions":
        return "action", str((body.get("actions") or [{}])[0].get("action_id", ""))
    if kind in ("message_action", "shortcut"):
        return "shortcut", str(body.get("callback_id", ""))
    if kind in ("view_submission", "view_closed"):
        return "view", str((body.get("view") or {}).get("callback_id", ""))
    if kind == "event_callback":
        return "event", str((body.get("event") or {}).get("type", ""))
    return "other", str(kind or "")


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id", ""))
    event = body.get("event") or {}
    return str(body.get("user_id") or event.get("user") or "")


def team_of(body: dict[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, dict):
        return str(team.get("id", ""))
    return str(body.get("team_id") or "")


# --- the hooks ---------------------------------------------------------------------------------


def install(app: App, hourglass: Hourglass) -> None:
    """Put the edge around every listener of `app`."""

    @app.middleware
    def begin_request(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
        context["hourglass"] = hourglass
        context["request_id"] = new_ref()
        context["started"] = time.monotonic()
        next()

    app.middleware(gate)  # strangers and replays, before any listener (handlers/gate.py)
    app.error(on_error)
    hourglass.later.on_error = late_error
    hourglass.later.on_done = log_line
    # Bolt runs this after every listener, whether it returned or raised.
    app.listener_runner.listener_completion_handler = CustomListenerCompletionHandler(
        logger=app.logger, func=log_request
    )


def log_request(body: dict[str, Any], context: BoltContext) -> None:
    """One line per request: kind, what, user, team, outcome, duration and ref. A request
    with work after the ack is logged when that work is done (handlers/later.py)."""
    if "after_ack" not in context:
        log_line(body, context)


def log_line(body: dict[str, Any], context: BoltContext) -> None:
    kind, what = describe(body)
    started = context.get("started")
    duration_ms = round((time.monotonic() - started) * 1000) if started is not None else 0
    fields = {
        "kind": kind,
        "target": what,
        "user": user_of(body),
        "team": team_of(body),
        "outcome": context.get("outcome", "ok"),
        "duration_ms": duration_ms,
        "ref": context.get("request_id", ""),
    }
    log.info(
        "%s %s user=%s team=%s outcome=%s duration_ms=%s ref=%s",
        *fields.values(),
        extra=fields,
    )


def on_error(
    error: Exception,
    body: dict[str, Any],
    context: BoltContext,
    respond: Respond | None,
    client: WebClient,
) -> BoltResponse:
    """The one place an exception from a listener (or a middleware) becomes a reply."""
    ref = context.get("request_id") or new_ref()
    context["request_id"] = ref
    refusal = as_refusal(error)
    kind, what = describe(body)
    if refusal is None or isinstance(refusal, ConfigError):
        context["outcome"] = "error"
        log.error("%s %s failed (ref %s)", kind, what, ref, exc_info=error, extra={"ref": ref})
        text = unexpected_text(ref)
        return _present(kind, body, text, text, respond, client, error=error, failed=True)
    context["outcome"] = "refused"
    reply = refusal_reply(refusal, context.get("usage"))
    if kind == "command":
        return BoltResponse(status=200, body=reply.payload())
    field_text = sentence(str(refusal))
    return _present(
        kind, body, reply.text, field_text, respond, client, error=refusal, failed=False
    )


def late_error(error: BaseException, body: dict[str, Any], context: BoltContext) -> None:
    """A failure after the ack: told as `on_error` would have answered it, through
    `response_url` (a click's answer already goes there)."""
    response = on_error(error, body, context, context.respond, context.client)  # type: ignore[arg-type]
    if describe(body)[0] != "command" or context.respond is None:
        return
    try:
        context.respond(**json.loads(response.body))
    except (SlackApiError, OSError, ValueError) as exc:
        log.warning("could not tell %s: %s", user_of(body), exc)


def refusal_reply(refusal: HourglassError, usage: str | None = None) -> Reply:
    """How a refusal reads in Slack: a missing role with :no_entry:, anything else with
    :warning: and, for bad input, the usage line."""
    if isinstance(refusal, PermissionDenied):
        return Reply(f":no_entry: {refusal}")
    if isinstance(refusal, InputError):
        return error_reply(str(refusal), refusal.usage or usage)
    return error_reply(str(refusal), None)


def sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def _present(
    kind: str,
    body: dict[str, Any],
    text: str,
    field_text: str,
    respond: Respond | None,
    client: WebClient,
    *,
    error: BaseException,
    failed: bool,
) -> BoltResponse:
    if kind == "command":
        return BoltResponse(status=200, body=Reply(text).payload())
    if kind == "view":
        # A modal shows an error next to a field: the one the error names, else the first.
        errors = {_field(body, getattr(error, "field", None)): field_text}
        return BoltResponse(status=200, body={"response_action": "errors", "errors": errors})
    if kind in ("action", "shortcut"):
        tell(body, respond, client, text, replace=False)
        return BoltResponse(status=200, body="")
    # Events: nobody is waiting for a reply. A refusal is final (200); a failure answers 500
    # with the ref, so Slack retries (event ids are stored, so a retry never counts twice).
    if failed:
        return BoltResponse(status=500, body={"error": text})
    return BoltResponse(status=200, body="")


def _field(body: dict[str, Any], wanted: str | None) -> str:
    view = body.get("view") or {}
    blocks = view.get("blocks") or []
    ids = [b.get("block_id") for b in blocks if b.get("type") == "input" and b.get("block_id")]
    ids = ids or list(((view.get("state") or {}).get("values") or {}).keys())
    if wanted in ids:
        return str(wanted)
    return str(ids[0]) if ids else ""


def tell(
    body: dict[str, Any], respond: Respond | None, client: WebClient, text: str, *, replace: bool
) -> None:
    """Answer a click where it came from: the message (response_url) or, from App Home,
    a direct message."""
    try:
        if body.get("response_url") and respond is not None:
            respond(text=text, replace_original=replace, response_type="ephemeral")
            return
        client.chat_postMessage(channel=user_of(body), text=text)
    except (SlackApiError, OSError) as exc:
        log.warning("could not tell %s: %s", user_of(body), exc)
