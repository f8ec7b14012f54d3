"""/call <duration> <customer> <caller> [on <date>] [note…]: a finished call, after the fact;
/call bill <#id> training|undo: a manager bills a long call as training, or undoes it."""

from __future__ import annotations

from datetime import date

from bot.calls import calls, training
from bot.customers import get_customer
from bot.parsing import InputError, parse_date, parse_name, take_date, take_duration
from bot.policy.model import provider_today
from bot.roles import AGENT, MANAGER
from bot.units import format_work_date
from handlers.common import CommandCall, Reply, subcommands
from handlers.help import Help
from handlers.views.call_form import call_modal
from handlers.views.forms import opening

USAGE = "/call <duration> <customer> <caller> [on <date>] [q=1-5] [note…]"
USAGE_BILL = "/call bill <#id> training|undo"


def record(call: CommandCall) -> Reply:
    quality, words = calls.split_quality(call.tokens)
    if len(words) < 3:
        raise InputError("give a duration, a customer and the caller's name")
    duration, used = take_duration(words)
    if len(words) < used + 2:
        raise InputError("give a duration, a customer and the caller's name")
    customer = get_customer(call.db, words[used])
    caller = parse_name(words[used + 1], "caller")
    rest = words[used + 2 :]
    tz = call.user_tz()
    on, rest = _call_date(call, rest)
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
    (USAGE_BILL,),
    "`/call` alone opens a form. The date may be `on 2026-11-27`, `yesterday`, `monday` or "
    "`27 Nov`, at most 366 days back.",
)


# `/call bill …` decides how a call is billed; `/call` alone opens the form; anything else
# records a call.
listener = subcommands(
    {
        "": (open_form, AGENT, USAGE),
        "bill": (bill, MANAGER, USAGE_BILL),
    },
    f"Usage: `{USAGE}`.",
    fallback=(record, AGENT, USAGE),
    help=HELP,
)
