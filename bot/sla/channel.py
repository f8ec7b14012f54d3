"""Tickets from a customer's support channel: what a message, a thread reply or a ✅ does.

A customer's top-level message in their channel opens a ticket at the policy's default
priority and is acknowledged in its thread with the public target; an agent's first reply in the ticket's thread is its first response; the
customer's reply in the thread of a paused ticket resumes it; an agent's ✅ on the ticket's
message resolves it. Slack retries events it thinks we missed, so each is recorded once per
event id. The Slack edge (`handlers.events.sla`) hands over plain values; this module never
sees Slack itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot.alerts.outbox import raise_alert
from bot.policy.model import Plan, Policy
from bot.sla.clocks import TicketClocks
from bot.sla.eventlog import EventKind, TicketStatus
from bot.sla.explain import format_duration, format_when
from bot.sla.targets import plan_for
from bot.sla.tickets import can_record, clocks_for, refresh
from store.models import Customer, Ticket
from store.repositories.core import Customers
from store.repositories.sla import TicketEvents, Tickets

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
        if role is not None or customer.archived_at is not None:
            # agents and managers talking in the channel are not tickets; an archived
            # customer takes no new work (its open tickets still move in their threads)
            return None
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
    return record_slack_event(
        db,
        policy,
        ticket,
        ticket.customer,
        EventKind.RESOLVED,
        actor=user,
        event_id=event_id,
        now=now,
    )


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
            "status": TicketStatus.OPEN,
            "created_at": now,
        },
    )
    if not added:
        return None
    ticket = Tickets.by_thread(db, channel_id, ts, lock=True)
    if ticket is None:  # pragma: no cover - inserted just above, in this transaction
        raise LookupError(f"ticket for message {channel_id}/{ts} vanished after its insert")
    TicketEvents.add(
        db,
        ticket_id=ticket.id,
        kind=EventKind.OPENED,
        at=now,
        actor=user,
        now=now,
        slack_event_id=event_id,
    )
    acknowledge(db, policy, ticket, customer, refresh(db, policy, ticket, customer, now), now)
    return ticket


def acknowledgement_text(plan: Plan, ticket: Ticket, clocks: TicketClocks) -> str:
    """What the customer reads in their thread: the ticket's number and the public first
    response target with its due time. Never the internal target (seed 004: "a company may
    [tell] customers to expect a support ticket response within 6 hours, but their [SLA]
    requires a 4-hour response")."""
    head = f":wave: Thanks, we have your message as ticket #{ticket.id} ({ticket.priority})."
    first = clocks.first_response
    if first.target is None:
        return f"{head} Someone from the team will reply in this thread."
    hours = "" if plan.calendar.is_24_7 else " of our support hours"
    return (
        f"{head} We aim to reply within {format_duration(first.target)}{hours}, by "
        f"{format_when(first.due, plan.calendar.zone, now=clocks.as_of)}."
    )


def acknowledge(
    db: Session,
    policy: Policy,
    ticket: Ticket,
    customer: Customer,
    clocks: TicketClocks,
    now: datetime,
) -> bool:
    """A reply in the customer's thread (`ticket_received`, routed like every alert) saying
    the ticket is open and when to expect the first response."""
    return raise_alert(
        db,
        policy,
        key=f"ticket_received:{ticket.id}",
        kind="ticket_received",
        customer=customer,
        text=acknowledgement_text(plan_for(policy, customer), ticket, clocks),
        now=now,
        thread_ts=ticket.thread_ts,
        data={"ticket_id": ticket.id},
    )


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
