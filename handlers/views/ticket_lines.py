"""How a ticket's clocks read, shared by `/ticket` and the *Open a ticket* form: when each
is due, met or breached, in the reader's timezone, and what opening a ticket answers."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.policy.model import Policy
from bot.sla import tickets as ticket_service
from bot.sla.clocks import ClockName, ClockState, TicketClocks
from bot.sla.explain import escape, format_duration, format_when
from store.models import Customer, Ticket


def _late(clock: ClockState, zone: tzinfo, now: datetime) -> str:
    """A stopped clock past its target: when it was stopped (seed 003's "within" is inclusive,
    so only a real breach gets here)."""
    done = "answered" if clock.name == ClockName.FIRST_RESPONSE else "resolved"
    return f"{done} late at {format_when(clock.stopped_at, zone, now=now)}"


def clock_line(clock: ClockState, now: datetime, zone: tzinfo) -> str:
    """One clock in a line, its dates with their year when it is not `now`'s."""
    title = clock.name[0].upper() + clock.name[1:]
    state = clock.state(now)

    def when(at: datetime | None) -> str:
        return format_when(at, zone, now=now)

    if clock.target is None:
        return f"{title}: no target"
    if state == "met":
        return f"{title} met at {when(clock.stopped_at)}"
    if state == "breached" and clock.stopped_at is not None:
        return f"{title} *breached* at {when(clock.breached_at)}, {_late(clock, zone, now)}"
    if state == "breached":
        return f"{title} *breached* at {when(clock.breached_at)}"
    if state == "paused" and clock.remaining is not None:
        return f"{title} paused, {format_duration(clock.remaining, up=True)} left"
    internal = f" (internal {when(clock.internal_due)})" if clock.internal_due is not None else ""
    warn = " :warning:" if state == "warning" else ""
    return f"{title} due {when(clock.due)}{internal}{warn}"


def summary_lines(clocks: TicketClocks, now: datetime, zone: tzinfo) -> list[str]:
    return [clock_line(clock, now, zone) for clock in clocks.clocks]


def opened_text(
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    clocks: TicketClocks,
    now: datetime,
    zone: tzinfo,
) -> str:
    """What opening a ticket answers, typed or from the form: its plan, calendar and clocks."""
    plan = ticket_service.plan_for(policy, customer)
    lines = [
        f":ticket: Opened ticket *#{ticket.id}* for *{customer.name}* ({ticket.priority}, "
        f"{plan.name} plan, calendar {plan.calendar.name}): {escape(ticket.subject)}",
        f"Opened {format_when(ticket.opened_at, zone, now=now)}.",
        *summary_lines(clocks, now, zone),
    ]
    return "\n".join(lines)
