"""/ticket: open, respond, pause, resume, resolve, reopen, why and list SLA tickets."""

from __future__ import annotations

from bot import customers as customer_service
from bot.parsing import InputError, parse_datetime
from bot.roles import AGENT, MANAGER
from bot.sla import tickets as ticket_service
from bot.sla.eventlog import EventKind
from bot.sla.explain import escape, explain, format_duration, format_when
from bot.text import is_digits
from handlers.commands import sla as sla_command
from handlers.common import CommandCall, Handler, Reply, reads, subcommands, text_blocks
from handlers.help import Help
from handlers.paging import paged_reply
from handlers.views.forms import opening
from handlers.views.ticket_form import ticket_modal
from handlers.views.ticket_lines import opened_text, summary_lines

USAGE_OPEN = "/ticket open <customer> <priority> <subject…> [opened <date time>]"
USAGE_ID = "/ticket {verb} <ticket-id>"
USAGE_LIST = "/ticket list [customer]"
USAGE_REPORT = "/ticket report <customer> [YYYY-MM] | /ticket report <customer> chart"
LIST_COMMAND = "/ticket list"
HELP = (
    "Try `/ticket open <customer> <priority> <subject…>`, "
    "`/ticket respond|pause|resume|resolve|reopen|why <id>`, `/ticket list [customer]` or "
    "`/ticket report <customer>`; "
    "`/ticket` alone opens a form."
)


def _looks_like_date(token: str) -> bool:
    return is_digits(token[:1]) or token.lower() in {"today", "yesterday", "tomorrow"}


def open_(call: CommandCall) -> Reply:
    tokens = list(call.tokens)
    if len(tokens) < 3:
        raise InputError("give a customer, a priority and a subject")
    opened_at = call.now
    # `opened <date> <time>` at the end; "opened" elsewhere is just part of the subject.
    if len(tokens) >= 6 and tokens[-3].lower() == "opened" and _looks_like_date(tokens[-2]):
        opened_at, _ = parse_datetime(
            tokens[-2:], call.user_tz(), call.now, order=call.policy.date_order
        )
        tokens = tokens[:-3]
    customer = customer_service.customer_for_work(call.db, tokens[0])
    ticket, clocks = ticket_service.open_ticket(
        call.db,
        call.policy,
        customer=customer,
        priority=tokens[1],
        subject=" ".join(tokens[2:]),
        opened_at=opened_at,
        actor=call.user_id,
        now=call.now,
    )
    text = opened_text(call.policy, ticket, customer, clocks, call.now, call.user_tz())
    return Reply(text, text_blocks(text))


def _event(kind: EventKind, verb: str, done: str) -> Handler:
    def handler(call: CommandCall) -> Reply:
        if len(call.tokens) != 1:
            raise InputError("give one ticket id")
        ticket, customer = ticket_service.get_ticket(call.db, call.tokens[0])
        clocks = ticket_service.record(
            call.db, call.policy, ticket, customer, kind, actor=call.user_id, now=call.now
        )
        zone = call.user_tz()
        text = "\n".join(
            [
                f"Ticket *#{ticket.id}* ({customer.name}, {ticket.priority}) {done} at "
                f"{format_when(call.now, zone, now=call.now)}.",
                *summary_lines(clocks, call.now, zone),
            ]
        )
        return Reply(text)

    handler.__name__ = verb
    return handler


@reads
def why(call: CommandCall) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give one ticket id")
    ticket, customer = ticket_service.get_ticket(call.db, call.tokens[0])
    clocks = ticket_service.clocks_for(call.db, call.policy, ticket, customer, call.now)
    plan = ticket_service.plan_for(call.policy, customer)
    zone = call.user_tz()
    header = (
        f"*Ticket #{ticket.id}* {customer.name}, {ticket.priority} ({plan.name} plan, calendar "
        f"{plan.calendar.name} in {plan.calendar.timezone}): {escape(ticket.subject)} "
        f"— {clocks.status}"
    )
    lines = [header, *(f"• {line}" for line in explain(clocks, zone))]
    paused = any(segment.kind == "paused" for segment in clocks.timeline)
    for clock in clocks.clocks:
        if clock.breached_at is not None and clock.target is not None:
            # explain() shows the arithmetic for clocks still running; show it for breaches too.
            lines.append(
                f"• {clock.name[0].upper() + clock.name[1:]} was due "
                f"{format_when(clock.missed_due, zone, now=call.now)} = {clocks.opened_at.astimezone(zone):%H:%M} + "
                f"{format_duration(clock.target)} business time"
                + (" (paused time not counted)" if paused else "")
            )
    if ticket.assignee:
        lines.append(f"Taken by <@{ticket.assignee}>.")
    text = "\n".join(lines)
    return Reply(text, text_blocks(text))


@reads
def list_(call: CommandCall) -> Reply:
    if len(call.tokens) > 1:
        raise InputError("give at most one customer")
    customer = customer_service.get_customer(call.db, call.tokens[0]) if call.tokens else None
    rows = ticket_service.unresolved(call.db, call.policy, customer, call.now, limit=None)
    who = f" for {customer.name}" if customer else ""
    if not rows:
        return Reply(f"No open tickets{who}.")
    zone = call.user_tz()
    items = []
    for ticket, owner, clocks in rows:
        taken = f", taken by <@{ticket.assignee}>" if ticket.assignee else ""
        items.append(
            f"• *#{ticket.id}* {owner.name} {ticket.priority} ({clocks.status}{taken}): "
            f"{escape(ticket.subject)} — " + "; ".join(summary_lines(clocks, call.now, zone))
        )
    head = f"Open tickets{who}, oldest first: {len(rows)}"
    return paged_reply(call, LIST_COMMAND, head, items)


@reads
def report(call: CommandCall) -> Reply:
    """A customer's SLA month, as `/hourglass sla <customer>` gives it: this month's
    attainment, error budget and projection (issue 13)."""
    if not call.tokens or is_digits(call.tokens[0][:1]):
        raise InputError("give a customer")
    return sla_command.sla(call)


@reads
def open_form(call: CommandCall) -> Reply:
    """`/ticket` alone opens the *Open a ticket* form, once the command's transaction is over
    (as `/log` alone opens *Log time*)."""
    view = ticket_modal(call.policy, None, "")
    return opening(call.client, call.trigger_id, view, ":ticket: Opening the *Open a ticket* form…")


TICKET_HELP = Help(
    USAGE_OPEN,
    ("/ticket open acme priority Login page returns 500", "/ticket resolve 12"),
    ("/ticket respond|pause|resume|resolve|reopen|why <ticket-id>", USAGE_LIST, USAGE_REPORT),
    "`/ticket` alone opens a form. `opened` takes a date and time: `opened yesterday 3pm`, "
    "`opened 2026-11-27 15:00`.",
)

ROUTES = {
    "": (open_form, AGENT, USAGE_OPEN),
    "open": (open_, AGENT, USAGE_OPEN),
    "respond": (
        _event(EventKind.RESPONDED, "respond", "first response recorded"),
        AGENT,
        USAGE_ID.format(verb="respond"),
    ),
    "pause": (
        _event(EventKind.PAUSED, "pause", "paused (waiting on the customer)"),
        AGENT,
        USAGE_ID.format(verb="pause"),
    ),
    "resume": (
        _event(EventKind.RESUMED, "resume", "resumed"),
        AGENT,
        USAGE_ID.format(verb="resume"),
    ),
    "resolve": (
        _event(EventKind.RESOLVED, "resolve", "resolved"),
        AGENT,
        USAGE_ID.format(verb="resolve"),
    ),
    "reopen": (
        _event(EventKind.REOPENED, "reopen", "reopened (the resolution clock runs again)"),
        AGENT,
        USAGE_ID.format(verb="reopen"),
    ),
    "why": (why, AGENT, USAGE_ID.format(verb="why")),
    "list": (list_, AGENT, USAGE_LIST),
    # `chart` after the customer: the last 12 months against the goal, as a picture.
    "report": (report, MANAGER, USAGE_REPORT),
}

listener = subcommands(ROUTES, HELP, help=TICKET_HELP)
