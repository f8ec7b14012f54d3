"""SLA tickets: opening, the event log, alerts that move in place, and monthly goals.

The ticket's clocks are never stored. Every change appends to its event log and then
`refresh` re-derives both clocks with bot.sla.compute_clocks, stores the status and the
instant the alert state can next change (`next_check_at`, what the sweep reads), and moves
the ticket's one alert (key `sla:<id>`) to the state the clocks are in now.

Alert states, worst first: an escalation level, a breach (public target passed), a warning
(the policy's share of the internal target used). Once an alert exists it also follows the
ticket to "responded" and "resolved". Acknowledging stops the mentions of later escalation
levels; taking assigns the ticket.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from bot.alerts.outbox import alert_channel, raise_alert, update_alert
from bot.blocks import actions, button, section
from bot.parsing import InputError, month_bounds, parse_record_id
from bot.policy.model import Plan, Policy
from bot.sla.clocks import (
    ClockState,
    Escalation,
    EventKind,
    SlaTargets,
    TicketClocks,
    TicketEvent,
    compute_clocks,
    format_duration,
    goal_summary,
    percentile,
)
from store.models import Customer, Ticket
from store.repositories.core import Alerts, Customers
from store.repositories.sla import SlaPolicyMarks, TicketEvents, Tickets

MAX_SUBJECT = 300
MAX_BACKDATE = timedelta(days=90)
SWEEP_BATCH = 500
ACK_ACTION, TAKE_ACTION = "sla_acknowledge", "sla_take"

_CLOCK_CODES = {"first response": "fr", "resolution": "res"}


# --- the clocks ------------------------------------------------------------------------------


def plan_for(policy: Policy, customer: Customer) -> Plan:
    return policy.plans[customer.plan]


def targets_for(plan: Plan, priority: str) -> SlaTargets:
    targets = plan.priorities.get(priority)
    if targets is None:
        return SlaTargets()  # a priority the policy dropped: no targets, time still counted
    return SlaTargets(
        first_response=targets.first_response,
        first_response_internal=targets.first_response_internal,
        resolution=targets.resolution,
        resolution_internal=targets.resolution_internal,
    )


def escalations_for(policy: Policy) -> list[Escalation]:
    return [Escalation(level.level, level.after) for level in policy.sla.escalations]


def clocks_for(
    db: Session, policy: Policy, ticket: Ticket, customer: Customer, now: datetime
) -> TicketClocks:
    """Both clocks of `ticket`, derived from its event log under the current policy."""
    plan = plan_for(policy, customer)
    events = [
        TicketEvent(EventKind(row.kind), row.at) for row in TicketEvents.for_ticket(db, ticket.id)
    ]
    return compute_clocks(
        events,
        plan.calendar,
        targets_for(plan, ticket.priority),
        max(now, ticket.opened_at),
        warning_share=policy.sla.warning_share,
        escalations=escalations_for(policy),
    )


# --- commands and events -----------------------------------------------------------------------


def parse_ticket_id(text: str) -> int:
    return parse_record_id(text, "ticket")


def get_ticket(db: Session, text: str) -> tuple[Ticket, Customer]:
    """The ticket named by `#12` or `12`, locked for the rest of the transaction."""
    ticket_id = parse_ticket_id(text)
    ticket = Tickets.find(db, ticket_id, lock=True)
    if ticket is None:
        raise InputError(f"there is no ticket #{ticket_id}")
    return ticket, ticket.customer


def open_ticket(
    db: Session,
    policy: Policy,
    *,
    customer: Customer,
    priority: str,
    subject: str,
    opened_at: datetime,
    actor: str,
    now: datetime,
) -> tuple[Ticket, TicketClocks]:
    """Open a ticket from a command; InputError for an unknown priority or a bad time."""
    plan = plan_for(policy, customer)
    priority = priority.lower()
    if priority not in plan.priorities:
        raise InputError(
            f"the {plan.name} plan has no priority `{priority}` "
            f"(it has {', '.join(plan.priorities)})"
        )
    subject = " ".join(subject.split())
    if not subject:
        raise InputError("give the ticket a subject")
    if len(subject) > MAX_SUBJECT:
        raise InputError(f"the subject is limited to {MAX_SUBJECT} characters")
    if opened_at > now:
        raise InputError("the opening time cannot be in the future")
    if now - opened_at > MAX_BACKDATE:
        raise InputError(f"the opening time cannot be more than {MAX_BACKDATE.days} days ago")
    ticket = Tickets.add(
        db,
        Ticket(
            customer_id=customer.id,
            priority=priority,
            subject=subject,
            opened_at=opened_at,
            opened_by=actor,
            status="open",
            created_at=now,
        ),
    )
    TicketEvents.add(
        db, ticket_id=ticket.id, kind=EventKind.OPENED, at=opened_at, actor=actor, now=now
    )
    return ticket, refresh(db, policy, ticket, customer, now)


_REFUSALS = {
    EventKind.RESPONDED: "already has its first response",
    EventKind.PAUSED: "is already paused (waiting on the customer)",
    EventKind.RESUMED: "is not paused",
    EventKind.RESOLVED: "is already resolved",
}


def can_record(clocks: TicketClocks, kind: EventKind) -> str | None:
    """Why `kind` makes no sense for a ticket in this state, or None if it does."""
    if clocks.status == "resolved":
        return "is resolved"
    if kind is EventKind.RESPONDED and clocks.first_response.stopped_at is not None:
        return _REFUSALS[kind]
    if kind is EventKind.PAUSED and clocks.paused:
        return _REFUSALS[kind]
    if kind is EventKind.RESUMED and not clocks.paused:
        return _REFUSALS[kind]
    return None


def record(
    db: Session,
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    kind: EventKind,
    *,
    actor: str,
    now: datetime,
) -> TicketClocks:
    """Append `kind` at `now` after checking it fits (InputError if not), then refresh."""
    before = clocks_for(db, policy, ticket, customer, now)
    why_not = can_record(before, kind)
    if why_not:
        raise InputError(f"ticket #{ticket.id} {why_not}")
    TicketEvents.add(db, ticket_id=ticket.id, kind=kind, at=now, actor=actor, now=now)
    return refresh(db, policy, ticket, customer, now)


def record_slack_event(
    db: Session,
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    kind: EventKind,
    *,
    actor: str,
    event_id: str,
    now: datetime,
) -> bool:
    """Append `kind` for a Slack event, once per event id, if it fits the ticket's state.
    Returns whether anything was recorded (False for retries and events that do not fit)."""
    if can_record(clocks_for(db, policy, ticket, customer, now), kind):
        return False
    added = TicketEvents.add(
        db,
        ticket_id=ticket.id,
        kind=kind,
        at=now,
        actor=actor,
        now=now,
        slack_event_id=event_id,
    )
    if added:
        refresh(db, policy, ticket, customer, now)
    return added


def open_from_message(
    db: Session,
    policy: Policy,
    *,
    customer: Customer,
    channel_id: str,
    ts: str,
    user: str,
    text: str,
    event_id: str,
    now: datetime,
) -> Ticket | None:
    """A customer's top-level message opens a ticket at the default priority, once per
    message however often Slack retries it. Returns the new ticket, or None if it existed."""
    subject = " ".join((text or "").split())[:120] or "(message without text)"
    added = Tickets.open_from_message(
        db,
        {
            "customer_id": customer.id,
            "priority": policy.sla.default_priority,
            "subject": subject,
            "opened_at": now,
            "opened_by": user,
            "channel_id": channel_id,
            "thread_ts": ts,
            "source_event_id": event_id,
            "status": "open",
            "created_at": now,
        },
    )
    if not added:
        return None
    ticket = Tickets.by_thread(db, channel_id, ts, lock=True)
    TicketEvents.add(
        db,
        ticket_id=ticket.id,
        kind=EventKind.OPENED,
        at=now,
        actor=user,
        now=now,
        slack_event_id=event_id,
    )
    refresh(db, policy, ticket, customer, now)
    return ticket


def acknowledge(
    db: Session, policy: Policy, ticket: Ticket, customer: Customer, user: str, now: datetime
) -> None:
    if ticket.acknowledged_by is None:
        ticket.acknowledged_by, ticket.acknowledged_at = user, now
    refresh(db, policy, ticket, customer, now)


def take(
    db: Session, policy: Policy, ticket: Ticket, customer: Customer, user: str, now: datetime
) -> None:
    ticket.assignee = user
    refresh(db, policy, ticket, customer, now)


# --- alerts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertState:
    base: str  # warning:fr, breach:res, esc1:fr, responded, resolved, open, paused
    kind: str | None  # the alert kind to move to; None keeps the current one
    severity: int  # 0 none, 1 warning, 2 breach, 3+ escalation levels
    clock: ClockState | None
    level: str | None = None
    level_index: int | None = None


def alert_state(clocks: TicketClocks, policy: Policy, now: datetime) -> AlertState:
    levels = [level.level for level in policy.sla.escalations]
    worst = AlertState(clocks.status, None, 0, None)
    for clock in clocks.clocks:
        if clock.stopped_at is not None:
            continue
        code = _CLOCK_CODES[clock.name]
        status = clock.state(now)
        if status == "breached":
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
        elif status == "warning":
            state = AlertState(f"warning:{code}", "sla_warning", 1, clock)
        else:
            continue
        if state.severity > worst.severity:
            worst = state
    return worst


def _when(at: datetime | None, zone: tzinfo) -> str:
    if at is None:
        return "—"
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M %Z}"


def escape(text: str) -> str:
    """Slack mrkdwn control characters, so a subject like `<!channel>` pings nobody."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
    zone = plan_for(policy, customer).calendar.zone
    head = f"ticket #{ticket.id} ({customer.name}, {ticket.priority}) “{escape(ticket.subject)}”"
    clock = state.clock
    if state.base.startswith("warning") and clock is not None:
        # Alerts go to the customer's channel: name the public due time only, never the
        # internal target the warning is measured against (seed 004).
        text = (
            f":hourglass_flowing_sand: SLA warning, {head}: {clock.name} due "
            f"{_when(clock.due, zone)}, {format_duration(clock.remaining)} of business time left."
        )
    elif state.base.startswith(("breach", "esc")) and clock is not None:
        text = (
            f":rotating_light: SLA breached, {head}: the {clock.name} target of "
            f"{format_duration(clock.target)} passed at {_when(clock.breached_at, zone)}."
        )
        if state.level is not None:
            text += f"\n:arrow_up: Escalated to *{state.level}*"
            mentions = _mentions(policy, state.level_index or 0)
            if mentions and ticket.acknowledged_by is None:
                text += f" {mentions}"
            text += "."
    elif state.base == "resolved":
        lines = [
            f":white_check_mark: Resolved, {head}, at {_when(clocks.resolution.stopped_at, zone)}."
        ]
        for each in clocks.clocks:
            if each.breached_at is not None:
                lines.append(
                    f"The {each.name} target was breached at {_when(each.breached_at, zone)}."
                )
        text = "\n".join(lines)
    elif state.base == "responded":
        first = clocks.first_response
        late = f" (late: breached {_when(first.breached_at, zone)})" if first.breached_at else ""
        text = f":speech_balloon: First response sent, {head}, at {_when(first.stopped_at, zone)}{late}."
    elif state.base == "paused":
        text = f":double_vertical_bar: Waiting on the customer, {head}: the SLA clocks are paused."
    else:
        text = f":hourglass: {head}: back within its SLA targets ({clocks.status})."
    notes = []
    if ticket.assignee:
        notes.append(f"Taken by <@{ticket.assignee}>")
    if ticket.acknowledged_by:
        notes.append(f"acknowledged by <@{ticket.acknowledged_by}>")
    if notes:
        text += "\n" + "; ".join(notes) + "."
    return text


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
) -> bool:
    """Bring the ticket's one alert to the clocks' state; True if it was raised or moved."""
    state = alert_state(clocks, policy, now)
    key = alert_key(ticket)
    existing = Alerts.by_key(db, key)
    if existing is None and state.severity == 0:
        return False  # nothing worth a message yet
    full_state = state.base
    if ticket.acknowledged_by:
        full_state += "+ack"
    if ticket.assignee:
        full_state += f"+{ticket.assignee}"
    text = alert_text(policy, ticket, customer, clocks, state)
    blocks = alert_blocks(ticket, text, clocks.status == "resolved")
    data = {"ticket_id": ticket.id, "state": state.base}
    if existing is None:
        return raise_alert(
            db,
            key=key,
            kind=state.kind or "sla_warning",
            channel=alert_channel(customer, policy.alert_channel),
            text=text,
            blocks=blocks,
            now=now,
            customer_id=customer.id,
            state=full_state,
            data=data,
        )
    return update_alert(
        db, key, state=full_state, text=text, blocks=blocks, now=now, data=data, kind=state.kind
    )


def refresh(
    db: Session, policy: Policy, ticket: Ticket, customer: Customer, now: datetime
) -> TicketClocks:
    """Re-derive the clocks, store status and next_check_at, and move the alert."""
    clocks = clocks_for(db, policy, ticket, customer, now)
    ticket.status = clocks.status
    ticket.next_check_at = clocks.next_change(now)
    sync_alert(db, policy, ticket, customer, clocks, now)
    ping_escalation(db, policy, ticket, customer, alert_state(clocks, policy, now), now)
    db.flush()
    return clocks


def ping_escalation(
    db: Session,
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    state: AlertState,
    now: datetime,
) -> int:
    """A direct message to each person the current escalation level names, once each.

    Slack does not notify a mention added by editing a message, so the channel alert's
    mention alone would be silent. Acknowledged tickets ping nobody further. User-group
    handles are mentioned in the channel alert only.
    """
    if state.level_index is None or ticket.acknowledged_by or state.clock is None:
        return 0
    level = policy.sla.escalations[state.level_index]
    where = f" in <#{customer.channel_id}>" if customer.channel_id else ""
    text = (
        f":rotating_light: Ticket #{ticket.id} ({customer.name}, {ticket.priority}) "
        f"“{escape(ticket.subject)}” breached its {state.clock.name} target and is escalated to you "
        f"(*{level.level}*){where}."
    )
    sent = 0
    for user in level.notify:
        if user.startswith("@"):
            continue
        sent += raise_alert(
            db,
            key=f"sla:{ticket.id}:esc{state.level_index + 1}:{user}",
            kind="sla_escalation",
            channel=user,
            text=text,
            blocks=alert_blocks(ticket, text, resolved=False),
            now=now,
            customer_id=customer.id,
            data={"ticket_id": ticket.id, "level": level.level},
        )
    return sent


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def policy_fingerprint(policy: Policy) -> str:
    """A stable digest of everything in the policy that moves SLA clocks."""
    plans = {}
    for name, plan in sorted(policy.plans.items()):
        calendar = plan.calendar
        plans[name] = {
            "calendar": [
                calendar.name,
                calendar.timezone,
                sorted(
                    (day, list(map(list, hours))) for day, hours in calendar.weekly_hours.items()
                ),
                calendar.holiday_country,
                calendar.holiday_subdivision,
                sorted(day.isoformat() for day in calendar.closures),
            ],
            "priorities": {
                key: [
                    _seconds(t.first_response),
                    _seconds(t.first_response_internal),
                    _seconds(t.resolution),
                    _seconds(t.resolution_internal),
                ]
                for key, t in sorted(plan.priorities.items())
            },
        }
    data = {
        "plans": plans,
        "warning_share": policy.sla.warning_share,
        "escalations": [
            [e.level, _seconds(e.after), list(e.notify)] for e in policy.sla.escalations
        ],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def sweep_tickets(db: Session, policy: Policy, now: datetime) -> int:
    """Sweep rule: refresh only the tickets whose next_check_at has come.

    After a policy edit (a new fingerprint) every unresolved ticket is made due once, so
    due times the new targets or calendars moved earlier are not missed.
    """
    if SlaPolicyMarks.changed(db, policy_fingerprint(policy), now):
        Tickets.recheck_unresolved(db, now)
    moved = 0
    for ticket in Tickets.due(db, now, SWEEP_BATCH):
        customer = ticket.customer
        before = Alerts.by_key(db, alert_key(ticket))
        version = before.version if before is not None else 0
        refresh(db, policy, ticket, customer, now)
        after = Alerts.by_key(db, alert_key(ticket))
        if after is not None and after.version != version:
            moved += 1
    return moved


# --- reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthSla:
    customer: str
    plan: str
    tickets: int
    responded: int
    breached: int
    within_target_ratio: float | None
    p50_first_response_minutes: int | None
    p90_first_response_minutes: int | None
    goal: str | None  # e.g. "90% within 6h"
    goal_met: bool | None
    goal_ratio: float | None
    affordable_breaches: int | None

    def statement(self) -> dict[str, Any]:
        return {
            "tickets": self.tickets,
            "responded": self.responded,
            "breached": self.breached,
            "within_target_ratio": self.within_target_ratio,
            "p90_first_response_minutes": self.p90_first_response_minutes,
        }


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def month_sla(
    db: Session, policy: Policy, customer: Customer, year: int, month: int, now: datetime
) -> MonthSla:
    """SLA results for the tickets opened in the month (provider's timezone), as of `now`."""
    start, end = month_bounds(year, month, policy.timezone)
    plan = plan_for(policy, customer)
    tickets = Tickets.for_customer(db, customer.id, opened_from=start, opened_before=end)
    responded = breached = 0
    responses: list[float] = []
    goal_values: list[float] = []
    goal_minutes = _minutes(plan.goal.first_response) if plan.goal else None
    for ticket in tickets:
        clocks = clocks_for(db, policy, ticket, customer, now)
        first = clocks.first_response
        if any(clock.is_breached(now) for clock in clocks.clocks):
            breached += 1
        if first.stopped_at is not None:
            responded += 1
            responses.append(_minutes(first.elapsed))
            goal_values.append(_minutes(first.elapsed))
        elif goal_minutes is not None and _minutes(first.elapsed) > goal_minutes:
            goal_values.append(_minutes(first.elapsed))  # already a miss, answered or not
    p50, p90 = percentile(responses, 50), percentile(responses, 90)
    summary = (
        goal_summary(goal_values, plan.goal.share, goal_minutes)
        if plan.goal is not None and goal_minutes is not None
        else None
    )
    return MonthSla(
        customer=customer.name,
        plan=plan.name,
        tickets=len(tickets),
        responded=responded,
        breached=breached,
        within_target_ratio=round((len(tickets) - breached) / len(tickets), 3) if tickets else None,
        p50_first_response_minutes=None if p50 is None else round(p50),
        p90_first_response_minutes=None if p90 is None else round(p90),
        goal=(
            f"{plan.goal.share:.0%} of first responses within "
            f"{format_duration(plan.goal.first_response)}"
            if plan.goal
            else None
        ),
        goal_met=summary.met if summary else None,
        goal_ratio=summary.ratio if summary else None,
        affordable_breaches=summary.affordable_breaches if summary else None,
    )


def month_sla_all(
    db: Session, policy: Policy, year: int, month: int, now: datetime
) -> list[MonthSla]:
    return [month_sla(db, policy, c, year, month, now) for c in Customers.all(db)]


def unresolved(
    db: Session, policy: Policy, customer: Customer | None, now: datetime, limit: int = 50
) -> list[tuple[Ticket, Customer, TicketClocks]]:
    """Unresolved tickets, oldest first, with their customer and clocks."""
    owners: dict[int, Customer] = {}
    result = []
    for ticket in Tickets.for_customer(
        db, customer.id if customer else None, unresolved_only=True, limit=limit
    ):
        owner = owners.setdefault(ticket.customer_id, ticket.customer)
        result.append((ticket, owner, clocks_for(db, policy, ticket, owner, now)))
    return result


# --- Slack events ----------------------------------------------------------------------------------

RESOLVE_REACTION = "white_check_mark"
RETRY_WINDOW = timedelta(hours=1)


def slack_event_time(ts: str | None, now: datetime) -> datetime:
    """When a Slack event happened: its own timestamp if that is plausible (within the hour
    before `now`, covering Slack's retries a minute and five minutes later), else `now`.
    A retried event thus counts from when the customer wrote, not when we heard of it."""
    try:
        at = datetime.fromtimestamp(float(ts or ""), UTC)
    except (TypeError, ValueError, OverflowError):
        return now
    return at if now - RETRY_WINDOW <= at <= now else now


def on_message(
    db: Session,
    policy: Policy,
    *,
    channel_id: str,
    user: str,
    ts: str,
    thread_ts: str | None,
    text: str,
    event_id: str,
    role_of: Callable[[str], str | None],
    now: datetime,
) -> str | None:
    """A plain message in some channel. Returns what it did ("opened", "responded",
    "resumed") or None. A customer's top-level message in their channel opens a ticket; an
    agent's first reply in the ticket's thread is its first response; the customer's reply
    in the thread of a paused ticket resumes it. Retries of one event count once."""
    customer = Customers.by_channel(db, channel_id)
    if customer is None:
        return None
    role = role_of(user)
    if thread_ts is None or thread_ts == ts:
        if role is not None:
            return None  # agents and managers talking in the channel are not tickets
        ticket = open_from_message(
            db,
            policy,
            customer=customer,
            channel_id=channel_id,
            ts=ts,
            user=user,
            text=text,
            event_id=event_id,
            now=now,
        )
        return "opened" if ticket is not None else None
    ticket = Tickets.by_thread(db, channel_id, thread_ts, lock=True)
    if ticket is None:
        return None
    kind = EventKind.RESPONDED if role is not None else EventKind.RESUMED
    done = record_slack_event(
        db, policy, ticket, customer, kind, actor=user, event_id=event_id, now=now
    )
    return str(kind) if done else None


def on_reaction(
    db: Session,
    policy: Policy,
    *,
    channel_id: str,
    item_ts: str,
    user: str,
    reaction: str,
    event_id: str,
    role_of: Callable[[str], str | None],
    now: datetime,
) -> bool:
    """An agent's ✅ on a ticket's message resolves it (once, however often retried)."""
    if reaction != RESOLVE_REACTION or role_of(user) is None:
        return False
    ticket = Tickets.by_thread(db, channel_id, item_ts, lock=True)
    if ticket is None:
        return False
    customer = ticket.customer
    return record_slack_event(
        db, policy, ticket, customer, EventKind.RESOLVED, actor=user, event_id=event_id, now=now
    )
