"""Setup that is not under test, in one line: customers, hour blocks and roles, made by
calling the domain directly (never through Slack), so a test's own steps are what it sends.

Each takes an open session and leaves the commit to the caller, like the domain does:

    with slack.database.session() as db:
        acme = factories.customer(db, slack.policy, "acme", channel="CACME01", now=now)
        factories.hour_block(db, slack.policy, acme, hours=10, now=now)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot import customers, roles
from bot.billing import hours as hour_blocks
from bot.policy.model import Policy
from store.models import Customer, HourBlock

ACME_CHANNEL = "CACME01"  # shared with the customer: their messages open tickets there
ACME_TEAM = "CACMETEAM"  # the team's internal channel for acme: internal alerts go here
ACTOR = "test"  # who the setup is recorded as; no rule reads it


def customer(
    db: Session,
    policy: Policy,
    name: str = "acme",
    *,
    now: datetime,
    plan: str = "professional",
    channel: str | None = None,
    seats: int = 1,
    team: str | None = None,
    added: datetime | None = None,
) -> Customer:
    """A customer on a plan, with seats and (optionally) its support channel, shared with the
    customer, and the team's internal channel for it. It was added to Hourglass `added`
    (by default two years before `now`: a customer of long standing, so work may be
    back-dated for it; `/log` refuses days before a customer was added)."""
    customer = customers.add_customer(
        db,
        policy,
        name=name,
        plan=plan,
        channel_id=channel,
        team_channel=team,
        seats=seats,
        actor=ACTOR,
        now=now,
    )
    customer.created_at = added or now - timedelta(days=730)
    db.flush()
    return customer


def hour_block(
    db: Session,
    policy: Policy,
    customer: Customer,
    *,
    hours: int,
    now: datetime,
    purchased: date | None = None,
) -> HourBlock:
    """A prepaid block of whole hours, bought `purchased` (today by default)."""
    return hour_blocks.add_hours(
        db,
        policy,
        customer=customer,
        minutes=hours * 60,
        purchased=purchased,
        ref=None,
        actor=ACTOR,
        now=now,
    )


def role(db: Session, user_id: str, role: str, *, now: datetime) -> None:
    """`user_id` becomes an agent or a manager."""
    roles.grant(db, user_id, role, ACTOR, now)
