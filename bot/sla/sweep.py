"""The SLA sweep rule: wake the tickets whose alert state may have changed, and re-check every
unresolved ticket once after a policy edit.

Each ticket stores `next_check_at`, the next instant its warning, breach or escalation can
change; the sweep reads only the tickets due through that index and refreshes them
(`bot.sla.tickets.refresh_swept`). A digest of everything in the policy that moves SLA clocks
tells the sweep when the policy changed, so due times moved earlier are not missed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy.orm import Session

from bot.alerts.outbox import NewAlert, raise_alerts
from bot.calendar.business_days import BusinessDays, Target
from bot.policy.model import Policy
from bot.sla.escalation import alert_key
from bot.sla.tickets import refresh_swept
from store.repositories.core import Alerts, Customers
from store.repositories.sla import SlaPolicyMarks, TicketEvents, Tickets

SWEEP_BATCH = 500


def _seconds(value: Target | None) -> int | str | None:
    if isinstance(value, BusinessDays):
        return str(value)
    return None if value is None else int(value.total_seconds())


def policy_fingerprint(policy: Policy) -> str:
    """A stable digest of everything in the policy that moves SLA clocks."""
    plans = {}
    for name, plan in sorted(policy.plans.items()):
        calendar = plan.calendar
        plans[name] = {
            "escalate": plan.escalate,
            "calendar": [
                calendar.name,
                calendar.timezone,
                sorted(
                    (day, list(map(list, hours))) for day, hours in calendar.weekly_hours.items()
                ),
                calendar.holiday_country,
                calendar.holiday_subdivision,
                sorted(day.isoformat() for day in calendar.closures),
                repr(calendar.closed_hours),  # part-day closures and special hours (issue 16)
                repr(calendar.special_hours),
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
    """Sweep rule: refresh only the tickets whose next_check_at has come; returns how many
    alerts moved.

    After a policy edit (a new fingerprint) every unresolved ticket is made due once, so
    due times the new targets or calendars moved earlier are not missed.
    """
    if SlaPolicyMarks.changed(db, policy_fingerprint(policy), now):
        Tickets.recheck_unresolved(db, now)
    tickets = Tickets.due(db, now, SWEEP_BATCH)
    # The batch's customers, event logs and alerts in three reads, not three per ticket.
    customers = Customers.by_ids(db, (ticket.customer_id for ticket in tickets))
    logs = TicketEvents.for_tickets(db, [ticket.id for ticket in tickets])
    known = Alerts.by_keys(db, [alert_key(ticket) for ticket in tickets])
    moved = 0
    raised: list[NewAlert] = []  # the batch's new alerts, in one INSERT at the end
    for ticket in tickets:
        moved += refresh_swept(
            db, policy, ticket, customers[ticket.customer_id], now, logs[ticket.id], known, raised
        )
    # Counted as one by one would: a ticket's alert raised, not its escalation's messages.
    new = raise_alerts(db, policy, raised, now)
    moved += sum(1 for alert, added in zip(raised, new, strict=True) if added and alert.to is None)
    db.flush()  # the batch's tickets in one executemany UPDATE, not one each
    return moved
