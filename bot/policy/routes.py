"""Who each alert kind is for: the team, the customer, or both (SPEC §5, issue 17).

A customer's support channel is shared with the customer (a Slack Connect channel, where
their own messages open tickets), so an alert posted there is read by the customer. Seed
004 promises the customer one target ("a support ticket response within 6 hours") while
the team works to a stricter one ("their SLA requires a 4-hour response"): the internal
target, its warnings, breaches and escalations, and who is under fair-use review are the
team's business only. Those kinds are `INTERNAL` and the policy cannot send them to the
customer; the others have customer-facing words and the policy's `[alerts.routes]` says
where each goes. Pure: no store, no Slack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bot.policy.reader import KeyPath, Reader

TEAM, CUSTOMER, BOTH = "team", "customer", "both"
AUDIENCES = (TEAM, CUSTOMER, BOTH)

# Never shown to a customer, whatever the policy says: they name the internal target, a
# breach or escalation, the team's people, a caller under review, or the provider's limits.
INTERNAL = (
    "sla_warning",
    "sla_breach",
    "sla_escalation",
    "long_call",
    "fair_use_allowance",
    "fair_use_review",
    "channel_lost",
    "forfeit_risk",  # issue 13: the team's forecast, not a promise to the customer
    "sla_budget",
)
# Written so the customer may read them; where each goes by default. Low balance and late
# cancellations are the team's by default (issue 17); the policy may share them.
CUSTOMER_FACING = {
    "block_expiring": BOTH,
    "block_expired": BOTH,
    "block_low": TEAM,
    "late_cancellation": TEAM,
    "booking_confirmed": CUSTOMER,
    "booking_cancelled": CUSTOMER,
    "booking_moved": CUSTOMER,
    "booking_reminder": CUSTOMER,
    "ticket_received": CUSTOMER,
}
# Direct messages to one person (the agent, an engineer, an escalation contact): no route.
DIRECT = ("timer_forgotten",)
DEFAULT_ROUTES: Mapping[str, str] = MappingProxyType(
    {**dict.fromkeys(INTERNAL, TEAM), **CUSTOMER_FACING}
)


@dataclass(frozen=True)
class AlertRoutes:
    """`[alerts]`: `routes` maps every routed alert kind to team, customer or both."""

    routes: Mapping[str, str] = field(default_factory=lambda: DEFAULT_ROUTES)

    def route(self, kind: str) -> str:
        """Where `kind` goes; a kind nobody routed (a DM, a new kind) stays with the team."""
        return self.routes.get(kind, TEAM)


def read_routes(reader: Reader, value: Any, path: KeyPath) -> Mapping[str, str]:
    """`[alerts.routes]`: the defaults, with the file's kinds set to team, customer or both.

    An internal kind sent to the customer, an unknown kind or audience is an error naming
    the line."""
    table = reader.table(value, path, (*DEFAULT_ROUTES, *DIRECT))
    routes = dict(DEFAULT_ROUTES)
    for kind, audience in table.items():
        where = (*path, kind)
        if kind in DIRECT:
            raise reader.fail(where, "is a direct message to one person; it has no route")
        if audience not in AUDIENCES:
            raise reader.fail(where, 'must be "team", "customer" or "both"')
        if kind in INTERNAL and audience != TEAM:
            raise reader.fail(
                where,
                "is internal (it can name the internal target, an escalation or a review) "
                'and goes to the team only: "team"',
            )
        routes[kind] = audience
    return MappingProxyType(routes)
