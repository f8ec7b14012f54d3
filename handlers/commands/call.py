"""/call <duration> <customer> <caller> [on <date>] [note…]: a finished call, after the fact;
/call list [@agent] [on <date>], /call undo [<#id>] and /call restore <#id>: your calls with
their ids, taking one back, and taking the undo back; /call bill <#id> training|undo: a manager bills a long call as training, or undoes
it."""

from __future__ import annotations

from datetime import date

from bot.calls import calls, fair_use, training
from bot.calls import corrections as call_corrections
from bot.calls.fair_use import format_call_time, format_limit
from bot.customers import customer_for_work
from bot.parsing import (
    InputError,
    parse_date,
    parse_name,
    parse_record_id,
    take_date,
    take_duration,
)
from bot.policy.model import provider_today
from bot.roles import AGENT, MANAGER
from bot.units import format_work_date, plural
from handlers.commands.log import whose_list
from handlers.common import CommandCall, Reply, reads, subcommands
from handlers.help import Help
from handlers.paging import paged_reply
from handlers.repeats import repeat_question
from handlers.views.call_form import call_modal
from handlers.views.forms import opening

USAGE = "/call <duration> <customer> <caller> [on <date>] [q=1-5] [note…]"
USAGE_BILL = "/call bill <#id> training|undo"
USAGE_LIST = "/call list [@agent] [on <date>]"
LIST_COMMAND = "/call list"
USAGE_UNDO = "/call undo [<#id>]"
USAGE_RESTORE = "/call restore <#id>"
COMMAND = "/call"


def record(call: CommandCall) -> Reply:
    """`/call …`: asks first if it looks like a repeat of the last minute's call."""
    return _record(call, again=False)


def record_again(call: CommandCall) -> Reply:
    """*Log again* pressed under the repeat question: recorded as typed, without asking."""
    return _record(call, again=True)


def _record(call: CommandCall, *, again: bool) -> Reply:
    quality, words = calls.split_quality(call.tokens)
    if len(words) < 3:
        raise InputError("give a duration, a customer and the caller's name")
    duration, used = take_duration(words)
    if len(words) < used + 2:
        raise InputError("give a duration, a customer and the caller's name")
    customer = customer_for_work(call.db, words[used])
    caller = parse_name(words[used + 1], "caller")
    rest = words[used + 2 :]
    tz = call.user_tz()
    on, rest = _call_date(call, rest)
    if not again:
        earlier = call_corrections.find_repeat(
            call.db,
            call.policy,
            customer=customer,
            caller=caller,
            agent_id=call.user_id,
            seconds=int(duration.total_seconds()),
            quality=quality,
            note=" ".join(rest),
            on=on,
            now=call.now,
        )
        if earlier is not None:
            what = call_corrections.describe_call(call.policy, earlier, customer.name)
            return repeat_question(call, COMMAND, f"call #{earlier.id} ({what})")
    outcome = calls.record_call(
        call.db,
        call.policy,
        customer=customer,
        caller=caller,
        agent_id=call.user_id,
        duration=duration,
        on=on,
        user_tz=tz,
        quality=quality,
        note=" ".join(rest),
        now=call.now,
    )
    when = (
        "" if on is None else f" on {format_work_date(on, provider_today(call.policy, call.now))}"
    )
    return Reply(":white_check_mark: " + outcome.summary(when))


def _call_date(call: CommandCall, rest: list[str]) -> tuple[date | None, list[str]]:
    """`on <date>` or a bare date (`yesterday`, `monday`, `27 Nov`) right after the caller,
    read as a provider day; the rest is the note."""
    today = provider_today(call.policy, call.now)
    on_word = bool(rest) and rest[0].lower() == "on"
    if on_word and len(rest) < 2:
        raise InputError("`on` needs a date")
    words = rest[1:] if on_word else rest
    taken = take_date(words, today, order=call.policy.date_order)
    if taken is None and on_word:
        taken = parse_date(words[0], today, order=call.policy.date_order), 1
    if taken is None:
        return None, rest
    on, used = taken
    return on, words[used:]


def bill(call: CommandCall) -> Reply:
    """Seed 000: a call over 15 minutes "might be deemed as training rather than support"."""
    if len(call.tokens) != 2:
        raise InputError("give a call id and `training` (or `undo` / `support`)")
    billing = training.parse_billing(call.tokens[1])
    decision = training.decide(
        call.db, call.policy, call.tokens[0], billing, actor=call.user_id, now=call.now
    )
    return Reply(training.describe(call.policy, decision))


@reads
def list_(call: CommandCall) -> Reply:
    agent, tokens = whose_list(call, "calls")
    if tokens and not (len(tokens) == 2 and tokens[0].lower() == "on"):
        raise InputError("give nothing, `@agent` (managers), or `on <date>`")
    today = provider_today(call.policy, call.now)
    day: date = parse_date(tokens[1], today) if tokens else today
    found = call_corrections.calls_on(call.db, call.policy, agent, day)
    when = format_work_date(day, today)
    if not found:
        who = "You have" if agent == call.user_id else f"<@{agent}> has"
        return Reply(f"{who} no calls recorded on {when}.")
    whose = "Your" if agent == call.user_id else f"<@{agent}>'s"
    total = sum(c.seconds for c, _ in found)
    head = (
        f"{whose} calls on {when} ({call.policy.timezone.key}): {format_call_time(total)} in "
        f"{plural(len(found), 'call')}"
    )
    items = [
        f"• #{c.id} {call_corrections.describe_call(call.policy, c, name)}" for c, name in found
    ]
    return paged_reply(call, LIST_COMMAND, head, items)


def undo(call: CommandCall) -> Reply:
    if len(call.tokens) > 1:
        raise InputError("give one call id (`/call undo #12`), or nothing for your last call")
    call_id = parse_record_id(call.tokens[0], "call") if call.tokens else None
    undone = call_corrections.undo_call(
        call.db, call.policy, call_id, actor=call.user_id, role=call.role, now=call.now
    )
    return Reply(describe_undone(call, undone))


def restore(call: CommandCall) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give the id of one undone call (`/call restore #12`)")
    call_id = parse_record_id(call.tokens[0], "call")
    restored = call_corrections.restore_call(
        call.db, call.policy, call_id, actor=call.user_id, role=call.role, now=call.now
    )
    return Reply(describe_undone(call, restored))


def describe_undone(call: CommandCall, undone: call_corrections.CallUndone) -> str:
    """The undo's (or restore's) receipt: what the call was, and its caller's month without
    (or with) it."""
    done = undone.call
    owner = "" if done.agent_id == call.user_id else f", recorded by <@{done.agent_id}>"
    what = (
        f"{format_call_time(done.seconds)} with {done.caller} ({undone.customer.name}) on "
        f"{call_corrections.call_day(call.policy, done, call.now)}"
    )
    if done.undone_at is None:
        lines = [f":arrow_right_hook: Restored call #{done.id}{owner}: {what}. It counts again."]
    else:
        lines = [
            f":leftwards_arrow_with_hook: Undid call #{done.id}{owner}: {what}. It is kept, "
            f"marked undone, and no longer counts (`/call restore #{done.id}` brings it back)."
        ]
    if not done.covered:
        lines.append("It was not covered by the plan, so fair use is unchanged.")
        return "\n".join(lines)
    lines.append(
        f"{done.caller}: {format_call_time(undone.caller_seconds)} this month ({undone.month}) "
        f"of {format_limit(undone.limits.allowance)} allowance — "
        f"{fair_use.describe_status(undone.caller_status)}."
    )
    lines.append(
        f"{undone.customer.name} account: {format_call_time(undone.account_seconds)} of "
        f"{format_limit(undone.account_limits.allowance)} — "
        f"{fair_use.describe_status(undone.account_status)}."
    )
    return "\n".join(lines)


@reads
def open_form(call: CommandCall) -> Reply:
    """`/call` alone opens the *Record a call* form, once the transaction is over."""
    return opening(
        call.client,
        call.trigger_id,
        call_modal(call.policy, call.now),
        ":telephone_receiver: Opening the *Record a call* form…",
    )


HELP = Help(
    USAGE,
    ("/call 20m acme jane", "/call 25 mins acme jane yesterday q=4 licence question"),
    (USAGE_LIST, USAGE_UNDO, USAGE_RESTORE, USAGE_BILL),
    "`/call` alone opens a form. The date may be `on 2026-11-27`, `yesterday`, `monday` or "
    "`27 Nov`, at most 366 days back. `/call list` shows your calls of a day with their ids "
    "(`@agent`: managers); `/call undo #12` takes one back (yours, or anyone's for a "
    "manager), kept with who and when, and `/call restore #12` takes the undo back; `/call "
    "bill` (managers) bills a long call as training.",
)


# `/call bill …` decides how a call is billed; `/call` alone opens the form; anything else
# records a call.
listener = subcommands(
    {
        "": (open_form, AGENT, USAGE),
        "bill": (bill, MANAGER, USAGE_BILL),
        "list": (list_, AGENT, USAGE_LIST),
        "undo": (undo, AGENT, USAGE_UNDO),
        "restore": (restore, AGENT, USAGE_RESTORE),
    },
    f"Usage: `{USAGE}`.",
    fallback=(record, AGENT, USAGE),
    help=HELP,
)
