"""/timer start|stop|status|discard: one running call timer per agent."""

from __future__ import annotations

from bot.calls import calls, timers
from bot.calls.fair_use import format_running
from bot.customers import customer_for_work, phone_support
from bot.parsing import InputError, parse_name
from bot.roles import AGENT
from handlers.common import CommandCall, Reply, reads, subcommands
from handlers.help import Help

USAGE_START = "/timer start <customer> <caller> [note…]"
USAGE_STOP = "/timer stop [q=1-5] [note…]"
USAGE = "/timer start <customer> <caller> [note…] | stop [q=1-5] [note…] | status | discard"


def start(call: CommandCall) -> Reply:
    if len(call.tokens) < 2:
        raise InputError("give a customer and the caller's name")
    customer = customer_for_work(call.db, call.tokens[0])
    caller = parse_name(call.tokens[1], "caller")
    running = timers.start_timer(
        call.db,
        call.policy,
        agent_id=call.user_id,
        customer=customer,
        caller=caller,
        note=" ".join(call.tokens[2:]),
        now=call.now,
    )
    local = running.started_at.astimezone(call.user_tz())
    covered = (
        ""
        if phone_support(customer, call.policy)
        else (f" Note: the {customer.plan} plan does not include phone support.")
    )
    return Reply(
        f":stopwatch: Timer started for a call with {caller} ({customer.name}) at "
        f"{local:%H:%M}. `/timer stop [q=1-5] [note…]` when you hang up.{covered}"
    )


def parse_stop_options(tokens: list[str]) -> tuple[int | None, str]:
    quality, words = calls.split_quality(tokens)
    return quality, " ".join(words)


def stop(call: CommandCall) -> Reply:
    quality, note = parse_stop_options(call.tokens)
    outcome = timers.stop_timer(
        call.db, call.policy, agent_id=call.user_id, quality=quality, note=note, now=call.now
    )
    if outcome is None:
        return Reply(
            ":information_source: No timer is running. Start one with `" + USAGE_START + "`."
        )
    return Reply(":white_check_mark: " + outcome.summary())


@reads
def status(call: CommandCall) -> Reply:
    if call.tokens:
        raise InputError("`/timer status` takes nothing after it")
    running = timers.timer_status(call.db, call.user_id, call.now)
    if running is None:
        return Reply(":information_source: No timer is running.")
    local = running.started_at.astimezone(call.user_tz())
    return Reply(
        f":stopwatch: Timer running for a call with {running.caller} ({running.customer}): "
        f"{format_running(running.elapsed_seconds)} since {local:%H:%M}"
        + (f" — {running.note}" if running.note else "")
        + "."
    )


def discard(call: CommandCall) -> Reply:
    if call.tokens:
        raise InputError("`/timer discard` takes nothing after it")
    running = timers.discard_timer(call.db, call.user_id, call.now)
    if running is None:
        return Reply(":information_source: No timer is running; nothing to discard.")
    return Reply(
        f":wastebasket: Discarded the timer for {running.caller} ({running.customer}) after "
        f"{format_running(running.elapsed_seconds)}; no call was recorded."
    )


HELP = Help(
    USAGE_START,
    ("/timer start acme jane", "/timer stop q=5 password reset"),
    (USAGE_STOP, "/timer status", "/timer discard"),
)


@reads
def idle(call: CommandCall) -> Reply:
    """`/timer` alone: the running timer, or, with none, how to start one."""
    reply = status(call)
    if timers.timer_status(call.db, call.user_id, call.now) is None:
        reply = Reply(f"{reply.text}\n{HELP.text()}")
    return reply


ROUTES = {
    "start": (start, AGENT, USAGE_START),
    "stop": (stop, AGENT, USAGE_STOP),
    "status": (status, AGENT, "/timer status"),
    "discard": (discard, AGENT, "/timer discard"),
    "": (idle, AGENT, "/timer status"),
}

listener = subcommands(ROUTES, f"Usage: `{USAGE}`.", help=HELP)
