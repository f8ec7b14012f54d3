"""SLA tickets: opening one, recording what happens to it in its event log, and refreshing it.

The ticket's clocks are never stored. Every change appends to its event log and then
`refresh` re-derives both clocks with `bot.sla.clocks.compute_clocks`, stores the status and
the instant the alert state can next change (`next_check_at`, what the sweep reads), and
moves the ticket's one alert (`bot.sla.escalation`) to the state the clocks are in now.
Commands, buttons, the sweep and channel messages all come through here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.alerts.outbox import NewAlert
from bot.parsing import InputError, parse_record_id
from bot.policy.model import Plan, Policy
from bot.sla.clocks import TicketClocks, compute_clocks
from bot.sla.escalation import alert_state, ping_escalation, sync_alert
from bot.sla.eventlog import EventKind, TicketEvent, TicketStatus
from bot.sla.targets import escalations_for, plan_for, targets_for
from store.models import Alert, Customer, Ticket, TicketEventRecord
from store.repositories.audit import AuditLog
from store.repositories.sla import TicketEvents, Tickets

MAX_SUBJECT = 300
MAX_BACKDATE = timedelta(days=90)


def clocks_for(
    db: Session,
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    now: datetime,
    events: list[TicketEvent] | None = None,
) -> TicketClocks:
    """Both clocks of `ticket`, derived from its event log under the policy version in force
    when it opened: a ticket keeps the promise it was opened under (issue 16). `events`: the
    log when the caller knows it already (a ticket just opened), saving the read."""
    policy = opened_under(policy, ticket, customer)
    plan = plan_for(policy, customer)
    if events is None:
        events = [
            TicketEvent(EventKind(row.kind), row.at)
            for row in TicketEvents.for_ticket(db, ticket.id)
        ]
    return compute_clocks(
        events,
        plan.calendar,
        targets_for(plan, ticket.priority),
        max(now, ticket.opened_at),
        warning_share=policy.sla.warning_share,
        escalations=escalations_for(policy, plan),
    )


def opened_under(policy: Policy, ticket: Ticket, customer: Customer) -> Policy:
    """The version in force when `ticket` opened; the current one if that version has no
    plan the customer is on now (a plan added since)."""
    version = policy.at(ticket.opened_at)
    return version if customer.plan in version.plans else policy


def refresh(
    db: Session,
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    now: datetime,
    *,
    opened: bool = False,
) -> TicketClocks:
    """Re-derive the clocks, store status and next_check_at, and move the alert. `opened`:
    the ticket was inserted by this transaction, so its log is its one `opened` event and
    it has no alert yet (two reads saved; issue 11's query budget)."""
    events = [TicketEvent(EventKind.OPENED, ticket.opened_at)] if opened else None
    return _refresh(db, policy, ticket, customer, now, events, new=opened)[0]


def refresh_swept(
    db: Session,
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    now: datetime,
    log: list[TicketEventRecord],
    known: dict[str, Alert],
    raised: list[NewAlert],
) -> bool:
    """`refresh` for a sweep that read its batch's logs and alerts at once; True if the
    ticket's alert was moved. A new alert is added to `raised`, and the ticket's changes are
    left to the next flush: the sweep writes its batch's in one UPDATE and one INSERT."""
    events = [TicketEvent(EventKind(row.kind), row.at) for row in log]
    return _refresh(db, policy, ticket, customer, now, events, known=known, raised=raised)[1]


def _refresh(
    db: Session,
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    now: datetime,
    events: list[TicketEvent] | None,
    *,
    new: bool = False,
    known: dict[str, Alert] | None = None,
    raised: list[NewAlert] | None = None,
) -> tuple[TicketClocks, bool]:
    clocks = clocks_for(db, policy, ticket, customer, now, events)
    ticket.status = clocks.status
    ticket.next_check_at = clocks.next_change(now)
    moved = sync_alert(
        db, policy, ticket, customer, clocks, now, new=new, known=known, raised=raised
    )
    state = alert_state(clocks, policy, now)
    ping_escalation(db, policy, ticket, customer, state, now, raised)
    if raised is None:
        db.flush()
    return clocks, moved


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
    priority = checked_priority(plan, priority)
    subject = _checked_subject(subject)
    _check_opened_at(opened_at, now)
    ticket = Tickets.add(
        db,
        Ticket(
            customer_id=customer.id,
            priority=priority,
            subject=subject,
            opened_at=opened_at,
            opened_by=actor,
            status=TicketStatus.OPEN,
            created_at=now,
        ),
    )
    TicketEvents.add(
        db, ticket_id=ticket.id, kind=EventKind.OPENED, at=opened_at, actor=actor, now=now
    )
    return ticket, refresh(db, policy, ticket, customer, now, opened=True)


def checked_priority(plan: Plan, priority: str) -> str:
    priority = priority.lower()
    if priority not in plan.priorities:
        raise InputError(
            f"the {plan.name} plan has no priority `{priority}` "
            f"(it has {', '.join(plan.priorities)})"
        )
    return priority


def _checked_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if not subject:
        raise InputError("give the ticket a subject")
    if len(subject) > MAX_SUBJECT:
        raise InputError(f"the subject is limited to {MAX_SUBJECT} characters")
    return subject


def _check_opened_at(opened_at: datetime, now: datetime) -> None:
    if opened_at > now:
        raise InputError("the opening time cannot be in the future")
    if now - opened_at > MAX_BACKDATE:
        raise InputError(f"the opening time cannot be more than {MAX_BACKDATE.days} days ago")


_REFUSALS = {
    EventKind.RESPONDED: "already has its first response",
    EventKind.PAUSED: "is already paused (waiting on the customer)",
    EventKind.RESUMED: "is not paused",
    EventKind.RESOLVED: "is already resolved",
}


def can_record(clocks: TicketClocks, kind: EventKind) -> str | None:
    """Why `kind` makes no sense for a ticket in this state, or None if it does."""
    resolved = clocks.status == TicketStatus.RESOLVED
    if kind is EventKind.REOPENED:
        return None if resolved else "is not resolved"
    if resolved:
        return "is resolved (reopen it first with `/ticket reopen`)"
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
    after = refresh(db, policy, ticket, customer, now)
    if kind is EventKind.REOPENED:  # a correction (issue 19 item 1): in the audit log too
        _audit_reopen(db, ticket, customer, before, after, actor=actor, now=now)
    return after


def _audit_reopen(
    db: Session,
    ticket: Ticket,
    customer: Customer,
    before: TicketClocks,
    after: TicketClocks,
    *,
    actor: str,
    now: datetime,
) -> None:
    resolved = before.resolution.stopped_at
    AuditLog.record(
        db,
        actor=actor,
        action="ticket.reopen",
        subject_kind="ticket",
        subject_id=ticket.id,
        at=now,
        customer_id=customer.id,
        before={
            "customer": customer.name,
            "subject": ticket.subject,
            "priority": ticket.priority,
            "status": str(before.status),
            "resolved_at": resolved.isoformat() if resolved else None,
        },
        after={"status": str(after.status)},
    )


def acknowledge(
    db: Session, policy: Policy, ticket: Ticket, customer: Customer, user: str, now: datetime
) -> None:
    """The Acknowledge button: stops the mentions of later escalation levels."""
    if ticket.acknowledged_by is None:
        ticket.acknowledged_by, ticket.acknowledged_at = user, now
    refresh(db, policy, ticket, customer, now)


def take(
    db: Session, policy: Policy, ticket: Ticket, customer: Customer, user: str, now: datetime
) -> None:
    """The Take button: assigns the ticket to `user`."""
    ticket.assignee = user
    refresh(db, policy, ticket, customer, now)


def unresolved(
    db: Session, policy: Policy, customer: Customer | None, now: datetime, limit: int | None = 50
) -> list[tuple[Ticket, Customer, TicketClocks]]:
    """Unresolved tickets, oldest first, with their customer and clocks."""
    result = []
    for ticket in Tickets.for_customer(
        db, customer.id if customer else None, unresolved_only=True, limit=limit
    ):
        owner = ticket.customer
        result.append((ticket, owner, clocks_for(db, policy, ticket, owner, now)))
    return result
