"""/log <duration> <customer> [1on1|general] [activity] [on <date>] [note…], /log list, /log undo."""

from __future__ import annotations

from datetime import date

from bot.billing import timelog
from bot.parsing import InputError, parse_date, take_date
from bot.policy.model import provider_today
from bot.roles import AGENT
from bot.units import format_minutes, format_work_date
from handlers.common import CommandCall, Reply, subcommands, text_blocks
from handlers.help import Help
from handlers.paging import paged_reply
from handlers.views.forms import opening
from handlers.views.log_time import log_modal, logged_head, outcome_lines

USAGE = "/log <duration> <customer> [1on1|general] [activity] [on <date>] [note…]"
USAGE_LIST = "/log list [on <date>]"
LIST_COMMAND = "/log list"
USAGE_UNDO = "/log undo"


def _billing_day(call: CommandCall) -> date:
    """Today's billing day, in the provider's timezone: where work logged now belongs, and
    what typed `today`/`yesterday` are read from (an agent in Auckland on Saturday morning
    is still on London's Friday)."""
    return provider_today(call.policy, call.now)


def _reply(lines: list[str]) -> Reply:
    text = "\n".join(lines)
    return Reply(text, text_blocks(text))


def log(call: CommandCall) -> Reply:
    request = timelog.parse_log(call.tokens, call.policy, _billing_day(call))
    result = timelog.log_time(call.db, call.policy, request, agent_id=call.user_id, now=call.now)
    return _reply([logged_head(result), *outcome_lines(result)])


def list_(call: CommandCall) -> Reply:
    tokens = call.tokens
    today = _billing_day(call)
    work_date = today
    if tokens:
        words = tokens[1:] if tokens[0].lower() == "on" else tokens
        taken = take_date(words, today, order=call.policy.date_order)
        if taken is None and words:  # `on 20-11-2026`: say why it is not a date
            taken = parse_date(words[0], today, order=call.policy.date_order), 1
        if taken is None or taken[1] != len(words):
            raise InputError("give nothing, or `on <date>`")
        work_date = taken[0]
    entries = timelog.entries_on(call.db, call.user_id, work_date)
    when = format_work_date(work_date, _billing_day(call))
    if not entries:
        return _reply([f"You have nothing logged on {when}."])
    total = sum(e.minutes for e, _ in entries)
    head = (
        f"Your time on {when}: {format_minutes(total)} in {len(entries)} "
        f"entr{'y' if len(entries) == 1 else 'ies'}"
    )
    items = [f"• #{e.id} {timelog.describe_entry(e, name, with_date=False)}" for e, name in entries]
    return paged_reply(call, LIST_COMMAND, head, items)


def undo(call: CommandCall) -> Reply:
    if call.tokens:
        raise InputError("`/log undo` takes nothing after it; it undoes your last entry")
    result = timelog.undo_last(call.db, call.policy, agent_id=call.user_id, now=call.now)
    undone = timelog.describe_entry(result.entry, result.customer.name, today=result.today)
    head = f":leftwards_arrow_with_hook: Undid {undone}."
    return _reply([head, *outcome_lines(result)])


def open_form(call: CommandCall) -> Reply:
    """`/log` alone opens the *Log time* form, once the command's transaction is over."""
    return opening(
        call.client,
        call.trigger_id,
        log_modal(call.policy, call.now),
        ":stopwatch: Opening the *Log time* form…",
    )


HELP = Help(
    USAGE,
    ("/log 30m acme", "/log 1h 30m acme yesterday setup call with Jane"),
    (USAGE_LIST, USAGE_UNDO),
    "`/log` alone opens a form. Durations: `90m`, `1h30`, `1.5h`, `2 hours`; dates: `on "
    "2026-11-27`, `yesterday`, `monday`, `27 Nov`. A note that starts with a date word goes "
    "in quotes or after `note=`.",
)

ROUTES = {
    "": (open_form, AGENT, USAGE),
    "list": (list_, AGENT, USAGE_LIST),
    "undo": (undo, AGENT, USAGE_UNDO),
}

listener = subcommands(ROUTES, f"Usage: `{USAGE}`.", fallback=(log, AGENT, USAGE), help=HELP)
