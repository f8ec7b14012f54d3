"""/hourglass customer edit and customer list: change a customer after `customer add`, and
see every customer with its plan, seats and channels.

`edit` (managers) is checked as `add` is (a plan the policy has, a channel that is not
another customer's, a team channel the customer does not read); the reply says what changed
and gives the command that puts the previous values back. A new channel is then checked
with Slack as `add` checks it (joined, or how to invite the app); an archived one is refused
and the previous channel put back. `list` is for managers and agents.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from bot import customers as customer_service
from bot.calls import corrections as call_corrections
from bot.customers import CustomerSettings
from bot.parsing import InputError, split_options
from bot.text import parse_whole
from bot.units import plural
from handlers.channel_check import channel_checker
from handlers.common import CommandCall, Reply, reads
from handlers.mentions import channel_from
from handlers.paging import paged_reply
from store.models import Customer
from store.repositories.core import Customers

USAGE_EDIT = (
    "/hourglass customer edit <name> [channel=<#channel>|none] [team=<#channel>|none] "
    "[seats=<n>] [plan=<plan>]"
)
USAGE_LIST = "/hourglass customer list"
USAGE_ARCHIVE = "/hourglass customer archive <name>"
USAGE_UNARCHIVE = "/hourglass customer unarchive <name>"
LIST_COMMAND = "/hourglass customer list"
NONE = "none"
# option -> the CustomerSettings field it sets
FIELDS = {"plan": "plan", "seats": "seats", "channel": "channel_id", "team": "team_channel"}


def channel_option(
    call: CommandCall, options: dict[str, str], name: str, *, clearable: bool = False
) -> str | None:
    """`channel=#acme` (or `<#C…|acme>`, or `C…`) as a channel id; `none` (when
    `clearable`) for no channel."""
    if name not in options:
        return None
    if clearable and options[name].lower() == NONE:
        return None
    return channel_from(call, options[name])


def seats_option(text: str) -> int:
    return parse_whole(text, "seats")


def _wanted(
    call: CommandCall, before: CustomerSettings, options: dict[str, str]
) -> CustomerSettings:
    """The settings after the edit: each option given replaces its value."""

    def channel(option: str, now: str | None) -> str | None:
        return channel_option(call, options, option, clearable=True) if option in options else now

    return CustomerSettings(
        plan=options.get("plan", before.plan),
        seats=seats_option(options["seats"]) if "seats" in options else before.seats,
        channel_id=channel("channel", before.channel_id),
        team_channel=channel("team", before.team_channel),
    )


def _shown(field: str, value: object) -> str:
    if field in ("channel_id", "team_channel"):
        return f"<#{value}>" if value else NONE
    return str(value)


def _typed(field: str, value: object) -> str:
    """The option that sets this value again (for the undo command)."""
    return f"{_option(field)}={_shown(field, value)}"


def customer_edit(call: CommandCall) -> Reply:
    words, options = split_options(call.tokens)
    unknown = set(options) - set(FIELDS)
    if unknown:
        raise InputError(f"unknown option `{sorted(unknown)[0]}=`")
    if len(words) != 1 or not options:
        raise InputError(
            "give one customer name and at least one of channel=, team=, seats=, plan="
        )
    customer = customer_service.get_customer(call.db, words[0])
    wanted = _wanted(call, CustomerSettings.of(customer), options)
    before = customer_service.edit_customer(
        call.db, call.policy, customer, wanted, actor=call.user_id, now=call.now
    )
    changed = [f for f in FIELDS.values() if getattr(before, f) != getattr(wanted, f)]
    if "seats" in changed:  # the account's phone allowance follows its seats (issue 19 item 2)
        call_corrections.refresh_account(
            call.db,
            call.policy,
            customer,
            reason=f"its seats went from {before.seats} to {wanted.seats} by <@{call.user_id}>",
            now=call.now,
        )
    if not changed:
        return Reply(f"Nothing changed: *{customer.name}* already has those settings.")
    what = "; ".join(
        f"{_option(f)} {_shown(f, getattr(before, f))} → {_shown(f, getattr(wanted, f))}"
        for f in changed
    )
    undo = f"/hourglass customer edit {customer.name} " + " ".join(
        _typed(f, getattr(before, f)) for f in changed
    )
    return Reply(
        f":pencil2: Changed *{customer.name}*: {what}. Undo with `{undo}`.",
        after_commit=_checks(call, customer.name, before, wanted),
    )


def _option(field: str) -> str:
    return next(name for name, f in FIELDS.items() if f == field)


def _checks(
    call: CommandCall, name: str, before: CustomerSettings, wanted: CustomerSettings
) -> list[Callable[[], str | None]]:
    """A new channel is checked with Slack once the edit is saved, as `customer add` does."""
    checks: list[Callable[[], str | None]] = []
    for team, new, old in (
        (False, wanted.channel_id, before.channel_id),
        (True, wanted.team_channel, before.team_channel),
    ):
        if new and new != old:
            checks.append(
                channel_checker(
                    call.hg,
                    call.client,
                    customer=name,
                    channel_id=new,
                    on_archived=_put_back(call, name, team=team, new=new, old=old),
                )
            )
    return checks


def _put_back(
    call: CommandCall, name: str, *, team: bool, new: str, old: str | None
) -> Callable[[], str]:
    hg, actor = call.hg, call.user_id

    def archived() -> str:
        with hg.database.session() as db:
            customer_service.revert_channel(
                db, name, team=team, now_set=new, back_to=old, actor=actor, at=hg.clock.now()
            )
        kept = f"<#{old}>" if old else "no channel"
        which = "team channel" if team else "support channel"
        return f":no_entry: <#{new}> is archived, so *{name}* keeps {kept} as its {which}."

    return archived


def describe(customer: Customer, zone: tzinfo) -> str:
    seats = plural(customer.seats, "seat")
    channel = f"<#{customer.channel_id}>" if customer.channel_id else "no support channel"
    team = (
        f"team <#{customer.team_channel}>"
        if customer.team_channel
        else "team: the provider's alert channel"
    )
    line = f"• *{customer.name}*: {customer.plan} plan, {seats}; {channel}; {team}"
    if customer.updated_by and customer.updated_at:
        line += f" (edited by <@{customer.updated_by}> on {customer.updated_at.astimezone(zone):%-d %b %Y})"
    if customer.archived_at is not None:
        line += (
            f" — *archived* by {_who(customer.archived_by)} on "
            f"{customer.archived_at.astimezone(zone):%-d %b %Y}"
        )
    return line


def _who(actor: str | None) -> str:
    return f"<@{actor}>" if actor and actor[:1] in "UW" else (actor or "someone")


def _archive(call: CommandCall, archived: bool) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give one customer name")
    customer = customer_service.get_customer(call.db, call.tokens[0])
    name = customer.name
    changed = customer_service.set_archived(
        call.db, customer, archived, actor=call.user_id, now=call.now
    )
    if not changed:
        return Reply(
            f"Nothing changed: *{name}* is already {'archived' if archived else 'active'}."
        )
    if archived:
        return Reply(
            f":file_cabinet: Archived *{name}*: it takes no new time, calls, sessions, tickets "
            f"or hours; its history and statements stay. Undo with "
            f"`/hourglass customer unarchive {name}`."
        )
    return Reply(f":white_check_mark: *{name}* is active again and takes new work.")


def customer_archive(call: CommandCall) -> Reply:
    return _archive(call, True)


def customer_unarchive(call: CommandCall) -> Reply:
    return _archive(call, False)


@reads
def customer_list(call: CommandCall) -> Reply:
    if call.tokens:
        raise InputError("`/hourglass customer list` takes nothing after it")
    customers = Customers.all(call.db)
    if not customers:
        return Reply("No customers yet. A manager adds one with `/hourglass customer add`.")
    head = f"Customers: {len(customers)}"
    return paged_reply(
        call, LIST_COMMAND, head, [describe(c, call.policy.timezone) for c in customers]
    )
