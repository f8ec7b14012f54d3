"""The alert chain of a ticket: its one alert that moves in place, and escalation pings.

Alert states, worst first: an escalation level (`[[sla.escalations]]`, `after` that much
business time past the breach), a breach (public target passed), a warning (the policy's
share of the internal target used). Once an alert exists (key `sla:<id>`) it also follows the
ticket to "responded" and "resolved". Acknowledging stops the mentions of later escalation
levels; taking assigns the ticket. These alerts are internal (`bot.policy.routes`): they go
to the team's channel, never the customer's; their words still name the public target only,
never the internal one (seed 004).

It reads derived clocks; the caller (`bot.sla.tickets.refresh`) derives them and calls
`sync_alert` and `ping_escalation`. Imports the alerts outbox and the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from bot.alerts.outbox import NewAlert, raise_alert, team_channel, update_alert
from bot.blocks import actions, button, section
from bot.policy.model import Policy
from bot.sla.clocks import ClockName, ClockState, ClockStatus, TicketClocks
from bot.sla.eventlog import TicketStatus
from bot.sla.explain import escape, format_duration, format_when
from bot.sla.targets import plan_for
from store.models import Alert, Customer, Ticket
from store.repositories.core import Alerts

ACK_ACTION, TAKE_ACTION = "sla_acknowledge", "sla_take"

_CLOCK_CODES = {ClockName.FIRST_RESPONSE: "fr", ClockName.RESOLUTION: "res"}


@dataclass(frozen=True)
class AlertState:
    base: str  # warning:fr, breach:res, esc1:fr, responded, resolved, open, paused
    kind: str | None  # the alert kind to move to; None keeps the current one
    severity: int  # 0 none, 1 warning, 2 breach, 3+ escalation levels
    clock: ClockState | None
    level: str | None = None
    level_index: int | None = None


def alert_state(clocks: TicketClocks, policy: Policy, now: datetime) -> AlertState:
    """The worst alert state of the ticket's running clocks, else its status."""
    levels = [level.level for level in policy.sla.escalations]
    worst = AlertState(clocks.status, None, 0, None)
    for clock in clocks.clocks:
        if clock.stopped_at is not None:
            continue
        code = _CLOCK_CODES[clock.name]
        status = clock.state(now)
        if status == ClockStatus.BREACHED:
            level = clock.escalation_level(now)
            if level is not None:
                index = levels.index(level) if level in levels else 0
                state = AlertState(
                    f"esc{index + 1}:{code}",
                    "sla_escalation",
                    3 + index,
                    clock,
                    level,
                    index,
                )
            else:
                state = AlertState(f"breach:{code}", "sla_breach", 2, clock)
        elif status == ClockStatus.WARNING:
            state = AlertState(f"warning:{code}", "sla_warning", 1, clock)
        else:
            continue
        if state.severity > worst.severity:
            worst = state
    return worst


def _ticket_head(ticket: Ticket, customer: Customer) -> str:
    return f"#{ticket.id} ({customer.name}, {ticket.priority}) “{escape(ticket.subject)}”"


def _mentions(policy: Policy, index: int) -> str:
    users = policy.sla.escalations[index].notify
    return " ".join(f"<!subteam^{u[1:]}>" if u.startswith("@") else f"<@{u}>" for u in users)


def alert_text(
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    clocks: TicketClocks,
    state: AlertState,
) -> str:
    """The alert's words for `state`, with who took and who acknowledged the ticket."""
    zone = plan_for(policy, customer).calendar.zone
    head = f"ticket {_ticket_head(ticket, customer)}"
    clock = state.clock
    if state.base.startswith(("warning", "breach", "esc")) and clock is not None:
        text = _clock_alert_text(policy, ticket, state, clock, head, zone, now=clocks.as_of)
    else:
        text = _ticket_state_text(clocks, state, head, zone)
    notes = []
    if ticket.assignee:
        notes.append(f"Taken by <@{ticket.assignee}>")
    if ticket.acknowledged_by:
        notes.append(f"acknowledged by <@{ticket.acknowledged_by}>")
    if notes:
        text += "\n" + "; ".join(notes) + "."
    return text


def _clock_alert_text(
    policy: Policy,
    ticket: Ticket,
    state: AlertState,
    clock: ClockState,
    head: str,
    zone: tzinfo,
    *,
    now: datetime,
) -> str:
    """A warning, breach or escalation of one clock, as read at `now` (a date outside that
    year shows its year). Time left rounds up: never `0m` while some is left."""
    if state.base.startswith("warning"):
        # Name the public due time only, never the internal target the warning is measured
        # against (seed 004).
        if clock.remaining is None:  # an internal target without a public one
            return (
                f":hourglass_flowing_sand: SLA warning, {head}: the {clock.name} is taking "
                "longer than the team aims for."
            )
        return (
            f":hourglass_flowing_sand: SLA warning, {head}: {clock.name} due "
            f"{format_when(clock.due, zone, now=now)}, "
            f"{format_duration(clock.remaining, up=True)} of business "
            "time left."
        )
    target = format_duration(clock.target) if clock.target is not None else "none"
    text = (
        f":rotating_light: SLA breached, {head}: the {clock.name} target of "
        f"{target} passed at {format_when(clock.breached_at, zone, now=now)}."
    )
    if state.level is not None:
        text += f"\n:arrow_up: Escalated to *{state.level}*"
        mentions = _mentions(policy, state.level_index or 0)
        if mentions and ticket.acknowledged_by is None:
            text += f" {mentions}"
        text += "."
    return text


def _ticket_state_text(clocks: TicketClocks, state: AlertState, head: str, zone: tzinfo) -> str:
    """Where the ticket went once an alert exists: responded, resolved, paused, or back."""
    now = clocks.as_of
    if state.base == TicketStatus.RESOLVED:
        lines = [
            f":white_check_mark: Resolved, {head}, at "
            f"{format_when(clocks.resolution.stopped_at, zone, now=now)}."
        ]
        for each in clocks.clocks:
            if each.breached_at is not None:
                lines.append(
                    f"The {each.name} target was breached at {format_when(each.breached_at, zone, now=now)}."
                )
        return "\n".join(lines)
    if state.base == TicketStatus.RESPONDED:
        first = clocks.first_response
        late = (
            f" (late: breached {format_when(first.breached_at, zone, now=now)})"
            if first.breached_at
            else ""
        )
        return (
            f":speech_balloon: First response sent, {head}, at "
            f"{format_when(first.stopped_at, zone, now=now)}{late}."
        )
    if state.base == TicketStatus.PAUSED:
        return f":double_vertical_bar: Waiting on the customer, {head}: the SLA clocks are paused."
    return f":hourglass: {head}: back within its SLA targets ({clocks.status})."


def alert_blocks(ticket: Ticket, text: str, resolved: bool) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [section(text)]
    if not resolved:
        elements = []
        if ticket.acknowledged_by is None:
            elements.append(button(ACK_ACTION, "Acknowledge", str(ticket.id)))
        elements.append(button(TAKE_ACTION, "Take", str(ticket.id), style="primary"))
        blocks.append(actions(*elements, block_id=f"sla:{ticket.id}"))
    return blocks


def alert_key(ticket: Ticket) -> str:
    return f"sla:{ticket.id}"


def sync_alert(
    db: Session,
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    clocks: TicketClocks,
    now: datetime,
    *,
    new: bool = False,
    known: dict[str, Alert] | None = None,
    raised: list[NewAlert] | None = None,
) -> bool:
    """Bring the ticket's one alert to the clocks' state; True if it was raised or moved.
    `new`: the ticket was inserted by this transaction, so no alert can have its key (a
    ticket's id is never reused: tickets are never deleted), and none is looked up.
    `known`: the alerts a sweep read for its whole batch by key (absent: none).
    `raised`: a sweep's batch of new alerts, raised together (`raise_alerts`) by the sweep,
    which counts them; one added to it is not counted here."""
    state = alert_state(clocks, policy, now)
    key = alert_key(ticket)
    if new:
        existing = None
    elif known is not None:
        existing = known.get(key)
    else:
        existing = Alerts.by_key(db, key)
    if existing is None and state.severity == 0:
        return False  # nothing worth a message yet
    full_state = state.base
    if ticket.acknowledged_by:
        full_state += "+ack"
    if ticket.assignee:
        full_state += f"+{ticket.assignee}"
    text = alert_text(policy, ticket, customer, clocks, state)
    blocks = alert_blocks(ticket, text, clocks.status == TicketStatus.RESOLVED)
    data: dict[str, Any] = {"ticket_id": ticket.id, "state": state.base}
    breached = state.clock and (state.clock.breached_at or state.clock.breaches_at)
    if state.severity >= 2 and breached:
        # The instant the public target passed, for breach-to-post latency (issue 12):
        # handlers/local/latency.py compares it with when Slack got the breach.
        data["breached_at"] = breached.isoformat()
    if existing is None and raised is not None:
        kind = state.kind or "sla_warning"
        raised.append(NewAlert(key, kind, customer, text, blocks, full_state, data))
        return False
    if existing is None:
        return raise_alert(
            db,
            policy,
            key=key,
            kind=state.kind or "sla_warning",
            customer=customer,
            text=text,
            blocks=blocks,
            now=now,
            state=full_state,
            data=data,
        )
    return update_alert(
        db, key, state=full_state, text=text, blocks=blocks, now=now, data=data, kind=state.kind
    )


def ping_escalation(
    db: Session,
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    state: AlertState,
    now: datetime,
    raised: list[NewAlert] | None = None,
) -> int:
    """A direct message to each person the current escalation level names, once each.

    Slack does not notify a mention added by editing a message, so the channel alert's
    mention alone would be silent. Acknowledged tickets ping nobody further. User-group
    handles are mentioned in the channel alert only. `raised`: as `sync_alert`'s (the
    messages keep their order among the batch's alerts, which the outbox delivers by).
    """
    if state.level_index is None or ticket.acknowledged_by or state.clock is None:
        return 0
    level = policy.sla.escalations[state.level_index]
    team = team_channel(policy, customer)
    where = f" in <#{team}>" if team else ""
    text = (
        f":rotating_light: Ticket {_ticket_head(ticket, customer)} breached its "
        f"{state.clock.name} target and is escalated to you (*{level.level}*){where}."
    )
    sent = 0
    for user in level.notify:
        if user.startswith("@"):
            continue
        if raised is not None:
            key = f"sla:{ticket.id}:esc{state.level_index + 1}:{user}"
            data = {"ticket_id": ticket.id, "level": level.level}
            blocks = alert_blocks(ticket, text, resolved=False)
            raised.append(
                NewAlert(key, "sla_escalation", customer, text, blocks, data=data, to=user)
            )
            continue
        sent += raise_alert(
            db,
            policy,
            key=f"sla:{ticket.id}:esc{state.level_index + 1}:{user}",
            kind="sla_escalation",
            customer=customer,
            to=user,
            text=text,
            blocks=alert_blocks(ticket, text, resolved=False),
            now=now,
            data={"ticket_id": ticket.id, "level": level.level},
        )
    return sent
