"""/hourglass: the managers' admin command (customers, hour blocks, reports, help), and the
one entry every other command is also reachable through: `/hourglass log 30m acme` is `/log
30m acme`, served by the same handler with the same role check (issue 17 item 5), so a
workspace where `/log` or `/ticket` is taken can install `/hourglass` alone."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import customers as customer_service
from bot.alerts.outbox import team_channel
from bot.billing import hours as hour_blocks
from bot.parsing import UNIT_WORDS, InputError, parse_date, parse_month, split_options
from bot.policy.model import provider_today
from bot.reports import issued as issued_statements
from bot.reports.pdf import statement_pdf
from bot.reports.statement import Statement
from bot.roles import AGENT, MANAGER
from bot.units import format_minutes, plural
from handlers.channel_check import channel_checker
from handlers.commands import alerts_failed, balance, book, history, hours, role, ticket, timer
from handlers.commands import call as call_command
from handlers.commands import customer_edit as edit
from handlers.commands import log as log_command
from handlers.commands import sla as sla_command
from handlers.commands.customer_edit import channel_option, seats_option
from handlers.commands.customer_set import USAGE as USAGE_CUSTOMER_SET
from handlers.commands.customer_set import customer_set
from handlers.common import CommandCall, Listener, Reply, reads, subcommands, text_blocks
from handlers.files import Destination, Outgoing, sender
from store.models import Customer

log = logging.getLogger("hourglass." + __name__)

_TRAILING_PURCHASED = re.compile(
    r"^(.*?)\s+purchased\s+(\d{4}-\d{2}-\d{2}|today|yesterday)\s*$",
    re.IGNORECASE | re.DOTALL | re.ASCII,
)

USAGE_CUSTOMER_ADD = (
    "/hourglass customer add <name> plan=<plan> [channel=<#channel>] [team=<#channel>] [seats=<n>]"
)
USAGE_HOURS_ADD = "/hourglass hours add <customer> <hours> [purchased <date>] [ref=<text>]"
USAGE_REPORT = "/hourglass report <customer> [YYYY-MM] [issue] [pdf]"

HELP = """*Hourglass* keeps your support clocks: time, calls, sessions, hour blocks and SLAs.
*Time and calls* (agents)
• `/log <duration> <customer> [1on1|general] [activity] [on <date>] [note…]` · `/log list [@agent] [on <date>]`
• `/timer start <customer> <caller> [note…]` · `/timer stop [q=1-5] [note…]` · `/timer status` · `/timer discard`
• `/call <duration> <customer> <caller> [on <date>] [note…]` · `/call list [@agent] [on <date>]`
• `/balance <customer> [chart]`
*Sessions and tickets* (agents)
• `/book <customer> <date time> <duration> [@engineer…] [extra] [training]` · `/book list [customer]` · `/book cancel|noshow <id>` · `/book move <id> <date> <time>`
• `/ticket open <customer> <priority> <subject…> [opened <date time>]` · `/ticket respond|pause|resume|resolve|why <id>` · `/ticket list [customer]`
*Corrections* (your own; a manager's on anyone's; each kept with who and when)
• `/log undo [<#id>]` · `/log restore <#id>` · `/log edit <#id> <duration>|on <date>|customer <name>`
• `/call undo [<#id>]` · `/call restore <#id>` · `/call bill <#id> training|undo` (managers: a long call billed as training)
• `/book restore <id>` (un-cancel while the slot is free) · `/book move undo <id>` · `/book waive <id> <reason>` (managers: a late-cancellation or no-show charge)
• `/ticket reopen <id>` (the resolution clock runs again)
• `/hourglass hours void <#id>` (nothing drawn yet) · `/hourglass hours adjust <#id> <±hours> <reason>`
• `/hourglass history [customer|@user] [YYYY-MM]` (every correction: who, when, what it was; newest first)
*Customers and team* (managers)
• `/hourglass customer add <name> plan=<plan> [channel=<#channel>] [team=<#channel>] [seats=<n>]`
• `/hourglass customer edit <name> [channel=<#channel>|none] [team=<#channel>|none] [seats=<n>] [plan=<plan>]` (the reply gives the undo) · `/hourglass customer list` (agents too)
• `/hourglass customer set <name> phone=on|off|plan` (the phone support add-on) · `/hourglass customer archive|unarchive <name>` (archived: no new work, history kept)
• `/hourglass hours add <customer> <hours> [purchased <date>] [ref=<text>]` · `/hourglass hours list <customer>`
• `/hourglass role add <@user> agent|manager` · `/hourglass role remove <@user>` · `/hourglass role list`
*Reports* (managers)
• `/hourglass report <customer> [YYYY-MM] [issue] [pdf]` (`issue` freezes an ended month; `pdf` sends an invoice-ready PDF) · `/hourglass sla [customer] [YYYY-MM]` · `/ticket report <customer> [chart]` (this month's SLA error budget; `chart`: 12 months against the goal)
• `/hourglass alerts failed` (lost channels and alerts Slack would not take, with the reason)
*Where `/log` and the others are taken*, the same commands work after `/hourglass`: `/hourglass log …`, `/hourglass call …`, `/hourglass book …`, `/hourglass timer …`, `/hourglass balance …`, `/hourglass ticket …` (e.g. `/hourglass log 30m acme`).
Examples: `/hourglass hours add acme 10h purchased 2026-11-02`, `/hourglass report acme 2026-11 issue`.
Usage: `/hourglass <command> …`; every command answers `help` (e.g. `/log help`).
Durations: `90m`, `1h30`, `1h 30m`, `1.5h`, `2 hours`, `1:30`. Dates: `2026-11-27`, `today`, `yesterday`, `monday`, `27 Nov`, numeric dates in the policy's `date_order` (`27/11/2026`); times: `15:00`, `3pm` (your Slack timezone)."""


def customer_add(call: CommandCall) -> Reply:
    words, options = split_options(call.tokens)
    unknown = set(options) - {"plan", "channel", "team", "seats"}
    if unknown:
        raise InputError(f"unknown option `{sorted(unknown)[0]}=`")
    if len(words) != 1 or "plan" not in options:
        raise InputError("give one customer name and plan=<plan>")
    channel_id = channel_option(call, options, "channel")
    team = channel_option(call, options, "team")
    customer = customer_service.add_customer(
        call.db,
        call.policy,
        name=words[0],
        plan=options["plan"],
        channel_id=channel_id,
        team_channel=team,
        seats=seats_option(options.get("seats", "1")),
        actor=call.user_id,
        now=call.now,
    )
    where = _where_alerts_go(call, customer)
    plan = call.policy.plans[customer.plan]
    checks = (
        [channel_checker(call.hg, call.client, customer=customer.name, channel_id=channel_id)]
        if channel_id
        else []
    )
    return Reply(
        f":white_check_mark: Added customer *{customer.name}* on the *{customer.plan}* plan "
        f"({plural(customer.seats, 'seat')}, "
        f"{'with' if plan.phone_support else 'no'} phone support); {where}."
        + _nowhere_warning(call, customer),
        after_commit=checks,
    )


def _nowhere_warning(call: CommandCall, customer: Customer) -> str:
    """Issue 19 item 7: a customer with no channel at all, where the policy has no
    alert_channel either, is added (its time and hours can be recorded before its channels
    exist) but the manager is told, and asked for a channel, in so many words."""
    if customer.channel_id or team_channel(call.policy, customer):
        return ""
    return (
        f"\n:warning: *{customer.name}* has no channel and the policy has no `alert_channel`: "
        "its alerts would have nowhere to go. Give it one: "
        f"`/hourglass customer edit {customer.name} team=#channel` (internal alerts) or "
        "`channel=#channel` (its support channel, shared with the customer)."
    )


def _where_alerts_go(call: CommandCall, customer: Customer) -> str:
    """Where internal alerts go, and the customer's channel: what opens tickets, what the
    customer is shown."""
    team = team_channel(call.policy, customer)
    internal = (
        f"internal alerts go to <#{team}>"
        if team
        else "internal alerts have no channel yet (give `team=<#channel>` or set the "
        "provider's alert_channel): they are kept, not posted"
    )
    if customer.channel_id:
        return (
            f"<#{customer.channel_id}> is their support channel (their messages open tickets; "
            f"they see only customer-facing notices there); {internal}"
        )
    return internal


def hours_add(call: CommandCall) -> Reply:
    text = call.text
    ref = None
    if "ref=" in text:
        text, _, ref = text.partition("ref=")
        # `ref=` takes the rest of the line, but a trailing `purchased <date>` is the option,
        # not part of the reference (regression: it was swallowed and the date ignored).
        trailing = _TRAILING_PURCHASED.match(ref)
        if trailing:
            ref, text = trailing.group(1), f"{text} purchased {trailing.group(2)}"
        ref = ref.strip() or None
    words = text.split()
    if len(words) in (3, 5) and words[2].lower() in UNIT_WORDS:  # `10 hours`
        words[1:3] = [words[1] + words[2]]
    if len(words) not in (2, 4) or (len(words) == 4 and words[2].lower() != "purchased"):
        raise InputError("give a customer and a number of hours")
    customer = customer_service.customer_for_work(call.db, words[0])
    minutes = hour_blocks.parse_hours(words[1])
    today = provider_today(call.policy, call.now)
    purchased = (
        parse_date(
            words[3], call.now.astimezone(call.user_tz()).date(), order=call.policy.date_order
        )
        if len(words) == 4
        else None
    )
    block = hour_blocks.add_hours(
        call.db,
        call.policy,
        customer=customer,
        minutes=minutes,
        purchased=purchased,
        ref=ref,
        actor=call.user_id,
        now=call.now,
    )
    left = hour_blocks.days_left(block, today)
    note = "already expired" if left <= 0 else f"{plural(left, 'day')} left"
    return Reply(
        f":hourglass_flowing_sand: Added block #{block.id} for *{customer.name}*: "
        f"{format_minutes(block.minutes)} bought {block.purchased:%a %-d %b %Y}, usable through "
        f"{block.expires - timedelta(days=1):%a %-d %b %Y} (expires {block.expires:%a %-d %b}, "
        f"{note})" + (f", ref {block.ref}" if block.ref else "") + "."
    )


def _report_request(call: CommandCall) -> tuple[str, int, int, bool, bool]:
    """`<customer> [YYYY-MM] [issue] [pdf]`: the customer, the month, whether to issue it,
    and whether to send a PDF (else the CSV)."""
    tokens = list(call.tokens)
    as_pdf = len(tokens) > 1 and tokens[-1].lower() == "pdf"
    if as_pdf:
        tokens.pop()
    to_issue = len(tokens) == 3 and tokens[2].lower() == "issue"
    if to_issue:
        tokens.pop()
    elif len(tokens) == 2 and tokens[1].lower() == "issue":
        raise InputError("give the month to issue, e.g. `/hourglass report acme 2026-11 issue`")
    if len(tokens) not in (1, 2):
        raise InputError("give a customer, optionally a month, and `issue` to freeze it")
    if len(tokens) == 2:
        year, month = parse_month(tokens[1])
    else:
        local = call.now.astimezone(call.policy.timezone)
        year, month = local.year, local.month
    return tokens[0], year, month, to_issue, as_pdf


def report(call: CommandCall) -> Reply:
    name, year, month, to_issue, as_pdf = _report_request(call)
    customer = customer_service.get_customer(call.db, name)
    heading = ""
    if to_issue:
        result = issued_statements.issue(
            call.db, call.policy, customer, year, month, actor=call.user_id, now=call.now
        )
        month_report = result.report
        note = issued_statements.issue_note(customer, result)
        emoji = ":information_source:" if result.already else ":lock:"
        heading = f"{emoji} {note[:1].upper()}{note[1:]}\n"
    else:
        month_report = issued_statements.monthly_statement(
            call.db, call.policy, customer, year, month, call.now
        )
    statement = month_report.statement
    if as_pdf:
        return Reply(
            heading + month_report.render("text"), after_commit=[_pdf_sender(call, statement)]
        )
    client, user_id, content = call.client, call.user_id, month_report.render("csv")
    filename = f"hourglass-{customer.name}-{statement['month']}.csv"

    def send_csv() -> str:
        try:
            dm = client.conversations_open(users=user_id)["channel"]["id"]
            client.files_upload_v2(
                channel=dm,
                content=content,
                filename=filename,
                title=f"Statement {customer.name} {statement['month']}",
                initial_comment=f"Statement for {customer.name}, {statement['month']} (CSV)",
            )
        except SlackApiError as exc:
            log.warning("statement upload failed: %s", exc.response.get("error"))
            return "_The CSV could not be attached; use `hourglass report --format csv`._"
        return f"_CSV sent to you as `{filename}` in a direct message._"

    return Reply(heading + month_report.render("text"), after_commit=[send_csv])


def _pdf_sender(call: CommandCall, statement: Statement) -> Callable[[], str]:
    """The PDF, drawn after the ack from the statement the reply shows, sent to the manager's
    DM as the CSV is (a statement names callers under review: internal)."""
    policy, name, month = call.policy, statement["customer"], statement["month"]

    def make() -> Outgoing:
        return Outgoing(
            content=statement_pdf(statement, policy.name, policy.timezone),
            filename=f"hourglass-{name}-{month}.pdf",
            title=f"Statement {name} {month}",
            comment=f"Statement for {name}, {month} (PDF)",
            what="The PDF statement",
        )

    return sender(call.client, call.user_id, Destination(None), make)


@reads
def help_(call: CommandCall) -> Reply:
    # Longer than one section: `text_blocks` splits it at line breaks.
    return Reply(HELP, text_blocks(HELP))


ROUTES = {
    "customer add": (customer_add, MANAGER, USAGE_CUSTOMER_ADD),
    "customer set": (customer_set, MANAGER, USAGE_CUSTOMER_SET),
    "customer edit": (edit.customer_edit, MANAGER, edit.USAGE_EDIT),
    "customer list": (edit.customer_list, AGENT, edit.USAGE_LIST),
    "customer archive": (edit.customer_archive, MANAGER, edit.USAGE_ARCHIVE),
    "customer unarchive": (edit.customer_unarchive, MANAGER, edit.USAGE_UNARCHIVE),
    "hours add": (hours_add, MANAGER, USAGE_HOURS_ADD),
    "hours list": (hours.hours_list, MANAGER, hours.USAGE_LIST),
    "hours void": (hours.hours_void, MANAGER, hours.USAGE_VOID),
    "hours adjust": (hours.hours_adjust, MANAGER, hours.USAGE_ADJUST),
    "role add": (role.role_add, MANAGER, role.USAGE_ADD),
    "role remove": (role.role_remove, MANAGER, role.USAGE_REMOVE),
    "role list": (role.role_list, MANAGER, role.USAGE_LIST),
    "report": (report, MANAGER, USAGE_REPORT),
    "sla": (sla_command.sla, MANAGER, sla_command.USAGE),
    "alerts failed": (alerts_failed.alerts_failed, MANAGER, alerts_failed.USAGE),
    "history": (history.history_, MANAGER, history.USAGE),
    "help": (help_, AGENT, "/hourglass help"),
    "": (help_, AGENT, "/hourglass help"),
}

# `/hourglass <name> …` hands the rest to the short command's own listener: same routes,
# same handlers, same role checks.
SHORT_COMMANDS: dict[str, Listener] = {
    "log": log_command.listener,
    "call": call_command.listener,
    "book": book.listener,
    "timer": timer.listener,
    "balance": balance.listener,
    "ticket": ticket.listener,
}

admin_listener = subcommands(ROUTES, "Try `/hourglass help`.", known=SHORT_COMMANDS)


def listener(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    words = (command.get("text") or "").split(maxsplit=1)
    short = SHORT_COMMANDS.get(words[0].lower()) if words else None
    if short is None:
        admin_listener(ack, command, client, context)
        return
    short(ack, {**command, "text": words[1] if len(words) > 1 else ""}, client, context)
