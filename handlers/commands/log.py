"""/log <duration> <customer> [1on1|general] [activity] [on <date>] [note…], /log list,
/log undo [<#id>], /log restore <#id>, /log edit <#id> <duration>|on <date>|customer <name>."""

from __future__ import annotations

from datetime import date

from bot.billing import corrections, timelog
from bot.parsing import InputError, parse_date, parse_mention, parse_record_id, take_date
from bot.policy.model import provider_today
from bot.roles import AGENT, PermissionDenied, Role
from bot.units import format_minutes, format_work_date, plural
from handlers.common import CommandCall, Reply, reads, subcommands, text_blocks
from handlers.help import Help
from handlers.paging import paged_reply
from handlers.repeats import repeat_question
from handlers.views.forms import opening
from handlers.views.log_time import log_modal, logged_head, outcome_lines

COMMAND = "/log"
USAGE = "/log <duration> <customer> [1on1|general] [activity] [on <date>] [note…]"
USAGE_LIST = "/log list [@agent] [on <date>]"
LIST_COMMAND = "/log list"
USAGE_UNDO = "/log undo [<#id>]"
USAGE_RESTORE = "/log restore <#id>"
USAGE_EDIT = "/log edit <#id> [<duration>] [on <date>] [customer <name>]"


def _billing_day(call: CommandCall) -> date:
    """Today's billing day, in the provider's timezone: where work logged now belongs, and
    what typed `today`/`yesterday` are read from (an agent in Auckland on Saturday morning
    is still on London's Friday)."""
    return provider_today(call.policy, call.now)


def _reply(lines: list[str]) -> Reply:
    text = "\n".join(lines)
    return Reply(text, text_blocks(text))


def log(call: CommandCall) -> Reply:
    """`/log …`: asks first if it looks like a repeat of the last minute's entry."""
    return _record(call, again=False)


def log_again(call: CommandCall) -> Reply:
    """*Log again* pressed under the repeat question: recorded as typed, without asking."""
    return _record(call, again=True)


def _record(call: CommandCall, *, again: bool) -> Reply:
    request = timelog.parse_log(call.tokens, call.policy, _billing_day(call))
    if not again:
        earlier = corrections.find_repeat(call.db, request, agent_id=call.user_id, now=call.now)
        if earlier is not None:
            what = timelog.describe_entry(earlier, earlier.customer.name, today=_billing_day(call))
            return repeat_question(call, COMMAND, f"#{earlier.id} ({what})")
    result = timelog.log_time(call.db, call.policy, request, agent_id=call.user_id, now=call.now)
    return _reply([logged_head(result), *outcome_lines(result)])


def whose_list(call: CommandCall, what: str) -> tuple[str, list[str]]:
    """`/log list @alex …` (or `/call list`): whose list (a manager may name an agent; the
    caller's own otherwise), and the words after the name."""
    tokens = list(call.tokens)
    mention = parse_mention(tokens[0]) if tokens else None
    if mention is None or mention.kind != "user":
        return call.user_id, tokens
    if mention.id != call.user_id and Role(call.role) is not Role.MANAGER:
        raise PermissionDenied(f"Sorry, only managers can list someone else's {what}.")
    return mention.id, tokens[1:]


@reads
def list_(call: CommandCall) -> Reply:
    agent, tokens = whose_list(call, "time")
    today = _billing_day(call)
    work_date = today
    if tokens:
        words = tokens[1:] if tokens[0].lower() == "on" else tokens
        taken = take_date(words, today, order=call.policy.date_order)
        if taken is None and words:  # `on 20-11-2026`: say why it is not a date
            taken = parse_date(words[0], today, order=call.policy.date_order), 1
        if taken is None or taken[1] != len(words):
            raise InputError("give nothing, `@agent` (managers), or `on <date>`")
        work_date = taken[0]
    entries = timelog.entries_on(call.db, agent, work_date)
    when = format_work_date(work_date, today)
    who = "You have" if agent == call.user_id else f"<@{agent}> has"
    if not entries:
        return _reply([f"{who} nothing logged on {when}."])
    total = sum(e.minutes for e, _ in entries)
    whose = "Your" if agent == call.user_id else f"<@{agent}>'s"
    head = f"{whose} time on {when}: {format_minutes(total)} in {plural(len(entries), 'entry')}"
    items = [f"• #{e.id} {timelog.describe_entry(e, name, with_date=False)}" for e, name in entries]
    return paged_reply(call, LIST_COMMAND, head, items)


def _owner(call: CommandCall, agent_id: str) -> str:
    return "" if agent_id == call.user_id else f", logged by <@{agent_id}>"


def undo(call: CommandCall) -> Reply:
    if len(call.tokens) > 1:
        raise InputError("give one entry id (`/log undo #12`), or nothing for your last entry")
    entry_id = parse_record_id(call.tokens[0], "time entry") if call.tokens else None
    result = corrections.undo_entry(
        call.db, call.policy, entry_id, actor=call.user_id, role=call.role, now=call.now
    )
    entry = result.entry
    head = (
        f":leftwards_arrow_with_hook: Undid {timelog.describe_entry(entry, result.customer.name, today=result.today)}."
        f" Entry #{entry.id}{_owner(call, entry.agent_id)} is kept, marked undone"
        f" (`/log restore #{entry.id}` brings it back)."
    )
    return _reply([head, *outcome_lines(result)])


def restore(call: CommandCall) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give the id of one undone entry (`/log restore #12`)")
    entry_id = parse_record_id(call.tokens[0], "time entry")
    result = corrections.restore_entry(
        call.db, call.policy, entry_id, actor=call.user_id, role=call.role, now=call.now
    )
    entry = result.entry
    head = (
        f":arrow_right_hook: Restored #{entry.id}{_owner(call, entry.agent_id)}: "
        f"{timelog.describe_entry(entry, result.customer.name, today=result.today)} counts again."
    )
    return _reply([head, *outcome_lines(result)])


def edit(call: CommandCall) -> Reply:
    if not call.tokens:
        raise InputError("give an entry id and what to change")
    entry_id = parse_record_id(call.tokens[0], "time entry")
    change = corrections.parse_edit(call.tokens[1:], call.policy, _billing_day(call))
    edited = corrections.edit_entry(
        call.db, call.policy, entry_id, change, actor=call.user_id, role=call.role, now=call.now
    )
    result = edited.result
    entry = result.entry
    head = (
        f":pencil2: Edited #{entry.id}{_owner(call, entry.agent_id)}: now "
        f"{timelog.describe_entry(entry, result.customer.name, today=result.today)} "
        f"({corrections.describe_change(edited.before, entry, result.today)})."
    )
    lines = [head, *outcome_lines(result)]
    if edited.left is not None:
        lines.extend(outcome_lines(edited.left))
    return _reply(lines)


@reads
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
    (USAGE_LIST, USAGE_UNDO, USAGE_RESTORE, USAGE_EDIT),
    "`/log` alone opens a form. Durations: `90m`, `1h30`, `1.5h`, `2 hours`; dates: `on "
    "2026-11-27`, `yesterday`, `monday`, `27 Nov`. A note that starts with a date word goes "
    "in quotes or after `note=`. Corrections are yours, or anyone's for a manager, and kept "
    "with who and when: `/log undo #12` (`/log restore #12` takes the undo back), `/log edit #12 "
    "45m`, `/log edit #12 customer globex`.",
)

ROUTES = {
    "": (open_form, AGENT, USAGE),
    "list": (list_, AGENT, USAGE_LIST),
    "undo": (undo, AGENT, USAGE_UNDO),
    "restore": (restore, AGENT, USAGE_RESTORE),
    "edit": (edit, AGENT, USAGE_EDIT),
}

listener = subcommands(ROUTES, f"Usage: `{USAGE}`.", fallback=(log, AGENT, USAGE), help=HELP)
