"""Buttons on call alerts: Book training, Bill as training and its Undo (long_call), Stop and
Keep running (timer_forgotten DM and App Home), Discard (the final timer_forgotten DM of a
timer past the longest call)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.calls import timers, training
from bot.calls.fair_use import format_call_time
from bot.roles import MANAGER
from handlers.common import ActionCall, run_action
from handlers.events.app_home import publish_home

log = logging.getLogger(__name__)


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
    def explain(call: ActionCall) -> str:
        customer = call.value or "<customer>"
        return (
            f":mortar_board: To book a training session for {customer}, use "
            f"`/book {customer} <date time> 1h training` (e.g. `/book {customer} tomorrow 10:00 "
            f"1h training`). Training is billed at {call.policy.training_rate} "
            f"{call.policy.currency} per hour, outside the phone allowance."
        )

    text, _ = run_action(ack=ack, body=body, client=client, context=context, handler=explain)
    _tell(body, respond, client, text, replace=False)


def _bill(billing: training.CallBilling):
    """A manager's click on Bill as training (or its Undo): decided as `/call bill` would,
    and the long-call alert is edited in place to say who decided."""

    def listener(ack, body, respond, client, context):
        def decide(call: ActionCall) -> str:
            decision = training.decide(
                call.db, call.policy, call.value, billing, actor=call.user_id, now=call.now
            )
            return training.describe(call.policy, decision)

        text, _ = run_action(
            ack=ack, body=body, client=client, context=context, handler=decide, role=MANAGER
        )
        _tell(body, respond, client, text or "", replace=False)

    return listener


bill_training = _bill(training.CallBilling.TRAINING)
bill_support = _bill(training.CallBilling.SUPPORT)


def timer_stop(ack, body, respond, client, context):
    def stop(call: ActionCall) -> str:
        outcome = timers.stop_timer(
            call.db,
            call.policy,
            agent_id=call.user_id,
            quality=None,
            note=None,
            now=call.now,
            started_at=timers.token_instant(call.value),
        )
        if outcome is None:
            return ":information_source: That timer is no longer running."
        return ":white_check_mark: " + outcome.summary()

    text, _ = run_action(ack=ack, body=body, client=client, context=context, handler=stop)
    _tell(body, respond, client, text, replace=True)
    if body.get("view", {}).get("type") == "home":
        publish_home(context["hourglass"], client, body["user"]["id"])


def timer_keep_running(ack, body, respond, client, context):
    def keep(call: ActionCall) -> str:
        running = timers.keep_running(
            call.db,
            call.policy,
            agent_id=call.user_id,
            started_at=timers.token_instant(call.value),
            now=call.now,
        )
        if running is None:
            return ":information_source: That timer is no longer running."
        return (
            f":stopwatch: Keeping your timer for {running.caller} ({running.customer}) "
            f"running ({format_call_time(running.elapsed_seconds)} so far); I'll check again "
            f"in {int(call.policy.timers.remind_every.total_seconds() // 60)} minutes."
        )

    text, _ = run_action(ack=ack, body=body, client=client, context=context, handler=keep)
    _tell(body, respond, client, text, replace=True)


def timer_discard(ack, body, respond, client, context):
    def discard(call: ActionCall) -> str:
        running = timers.discard_timer(
            call.db, call.user_id, call.now, started_at=timers.token_instant(call.value)
        )
        if running is None:
            return ":information_source: That timer is no longer running."
        return (
            f":wastebasket: Discarded the timer for {running.caller} ({running.customer}) after "
            f"{format_call_time(running.elapsed_seconds)}; no call was recorded. Record the "
            f"real call with `/call <duration> {running.customer} {running.caller} [on <date>]`."
        )

    text, _ = run_action(ack=ack, body=body, client=client, context=context, handler=discard)
    _tell(body, respond, client, text, replace=True)
