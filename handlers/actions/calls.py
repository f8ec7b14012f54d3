"""Buttons on call alerts: Book training (long_call), Stop and Keep running (timer_forgotten
DM and App Home)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import calls
from bot.fair_use import format_call_time
from bot.parsing import InputError
from bot.roles import AGENT, PermissionDenied, require
from handlers.common import group_members

log = logging.getLogger(__name__)


def _action(body: dict[str, Any]) -> dict[str, Any]:
    return (body.get("actions") or [{}])[0]


def _tell(body, respond, client, text: str, *, replace: bool) -> None:
    """Answer where the click came from: the message (response_url) or, from App Home,
    a direct message."""
    if body.get("response_url"):
        respond(text=text, replace_original=replace, response_type="ephemeral")
        return
    try:
        client.chat_postMessage(channel=body["user"]["id"], text=text)
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", body["user"]["id"], exc.response.get("error"))


def book_training(ack, body, respond, client, context):
    ack()
    hg = context["hourglass"]
    user = body["user"]["id"]
    customer = _action(body).get("value") or "<customer>"
    try:
        with hg.database.session() as db:
            require(db, hg.policy, user, AGENT, group_members(hg, client))
    except PermissionDenied as exc:
        return _tell(body, respond, client, f":no_entry: {exc}", replace=False)
    policy = hg.policy
    _tell(
        body,
        respond,
        client,
        f":mortar_board: To book a training session for {customer}, use "
        f"`/book {customer} <date time> 1h training` (e.g. `/book {customer} tomorrow 10:00 1h "
        f"training`). Training is billed at {policy.training_rate} {policy.currency} per hour, "
        "outside the phone allowance.",
        replace=False,
    )


def timer_stop(ack, body, respond, client, context):
    ack()
    hg = context["hourglass"]
    user = body["user"]["id"]
    now = hg.clock.now()
    try:
        started_at = calls.token_instant(_action(body).get("value", ""))
        with hg.database.session() as db:
            require(db, hg.policy, user, AGENT, group_members(hg, client))
            outcome = calls.stop_timer(
                db,
                hg.policy,
                agent_id=user,
                quality=None,
                note=None,
                now=now,
                started_at=started_at,
            )
        text = (
            ":white_check_mark: " + outcome.summary()
            if outcome is not None
            else ":information_source: That timer is no longer running."
        )
    except PermissionDenied as exc:
        text = f":no_entry: {exc}"
    except InputError as exc:
        text = f":warning: {str(exc)[:1].upper()}{str(exc)[1:]}."
    _tell(body, respond, client, text, replace=True)
    if body.get("view", {}).get("type") == "home":
        from handlers.events.app_home import publish_home

        publish_home(hg, client, user)


def timer_keep_running(ack, body, respond, client, context):
    ack()
    hg = context["hourglass"]
    user = body["user"]["id"]
    now = hg.clock.now()
    try:
        started_at = calls.token_instant(_action(body).get("value", ""))
        with hg.database.session() as db:
            require(db, hg.policy, user, AGENT, group_members(hg, client))
            running = calls.keep_running(
                db, hg.policy, agent_id=user, started_at=started_at, now=now
            )
        if running is None:
            text = ":information_source: That timer is no longer running."
        else:
            text = (
                f":stopwatch: Keeping your timer for {running.caller} ({running.customer}) "
                f"running ({format_call_time(running.elapsed_seconds)} so far); I'll check again "
                f"in {int(hg.policy.timers.remind_every.total_seconds() // 60)} minutes."
            )
    except PermissionDenied as exc:
        text = f":no_entry: {exc}"
    except InputError as exc:
        text = f":warning: {exc}"
    _tell(body, respond, client, text, replace=True)
