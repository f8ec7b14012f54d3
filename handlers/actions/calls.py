"""Buttons on call alerts: Book training (opens the booking form prefilled), Bill as training and its Undo (long_call), Stop and
Keep running (timer_forgotten DM and App Home), Discard (the final timer_forgotten DM of a
timer past the longest call)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.bookings.sessions import BookingForm
from bot.calls import timers, training
from bot.calls.fair_use import format_running
from bot.roles import MANAGER
from bot.units import format_minutes
from handlers.common import ActionCall, run_action
from handlers.context import hourglass_of
from handlers.edge import tell
from handlers.events.app_home import publish_home
from handlers.views.book import booking_modal
from handlers.views.forms import open_view

Body = dict[str, Any]


def book_training(
    ack: Ack, body: Body, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """Open the booking form prefilled: the alert's customer, 1h, training checked. If Slack
    will not open it, say how to type the booking instead."""

    def prefilled(call: ActionCall) -> tuple[dict[str, Any], str]:
        customer = call.value or "<customer>"
        form = BookingForm(customer=call.value, day="", clock="", duration="1h", training=True)
        how = (
            f":mortar_board: To book a training session for {customer}, use "
            f"`/book {customer} <date time> 1h training` (e.g. `/book {customer} tomorrow 10:00 "
            f"1h training`). Training is billed at {call.policy.training_rate} "
            f"{call.policy.currency} per hour, outside the phone allowance."
        )
        return booking_modal(call.db, prefill=form), how

    view, how = run_action(ack=ack, body=body, client=client, context=context, handler=prefilled)
    if open_view(client, body.get("trigger_id", ""), view):
        tell(body, respond, client, how, replace=False)


def _bill(
    billing: training.CallBilling,
) -> Callable[[Ack, Body, Respond, WebClient, BoltContext], None]:
    """A manager's click on Bill as training (or its Undo): decided as `/call bill` would,
    and the long-call alert is edited in place to say who decided."""

    def listener(
        ack: Ack, body: Body, respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        def decide(call: ActionCall) -> str:
            decision = training.decide(
                call.db, call.policy, call.value, billing, actor=call.user_id, now=call.now
            )
            return training.describe(call.policy, decision)

        text = run_action(
            ack=ack, body=body, client=client, context=context, handler=decide, role=MANAGER
        )
        tell(body, respond, client, text, replace=False)

    return listener


bill_training = _bill(training.CallBilling.TRAINING)
bill_support = _bill(training.CallBilling.SUPPORT)


def timer_stop(
    ack: Ack, body: Body, respond: Respond, client: WebClient, context: BoltContext
) -> None:
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

    text = run_action(ack=ack, body=body, client=client, context=context, handler=stop)
    tell(body, respond, client, text, replace=True)
    if body.get("view", {}).get("type") == "home":
        publish_home(hourglass_of(context), client, body["user"]["id"])


def timer_keep_running(
    ack: Ack, body: Body, respond: Respond, client: WebClient, context: BoltContext
) -> None:
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
            f"running ({format_running(running.elapsed_seconds)} so far); I'll check again "
            f"in {format_minutes(int(call.policy.timers.remind_every.total_seconds() // 60))}."
        )

    text = run_action(ack=ack, body=body, client=client, context=context, handler=keep)
    tell(body, respond, client, text, replace=True)


def timer_discard(
    ack: Ack, body: Body, respond: Respond, client: WebClient, context: BoltContext
) -> None:
    def discard(call: ActionCall) -> str:
        running = timers.discard_timer(
            call.db, call.user_id, call.now, started_at=timers.token_instant(call.value)
        )
        if running is None:
            return ":information_source: That timer is no longer running."
        return (
            f":wastebasket: Discarded the timer for {running.caller} ({running.customer}) after "
            f"{format_running(running.elapsed_seconds)}; no call was recorded. Record the "
            f"real call with `/call <duration> {running.customer} {running.caller} [on <date>]`."
        )

    text = run_action(ack=ack, body=body, client=client, context=context, handler=discard)
    tell(body, respond, client, text, replace=True)
