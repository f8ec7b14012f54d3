"""Customers: adding and finding them, and checking the policy still has their plans."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from bot.parsing import InputError, parse_name
from bot.policy.model import Policy
from store.models import Customer
from store.repositories.core import Customers

MAX_SEATS = 100_000
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")


def get_customer(db: Session, name: str) -> Customer:
    """The named customer, or an InputError that says so."""
    customer = Customers.by_name(db, parse_name(name))
    if customer is None:
        raise InputError(f"there is no customer called `{name}` (a manager can add one)")
    return customer


def add_customer(
    db: Session,
    policy: Policy,
    *,
    name: str,
    plan: str,
    channel_id: str | None,
    seats: int,
    actor: str,
    now: datetime,
) -> Customer:
    name = parse_name(name)
    if plan not in policy.plans:
        raise InputError(f"there is no plan `{plan}` (plans: {', '.join(policy.plans)})")
    if not 1 <= seats <= MAX_SEATS:
        raise InputError(f"seats must be a whole number from 1 to {MAX_SEATS}")
    if channel_id is not None and not _CHANNEL_ID.match(channel_id):
        raise InputError(f"`{channel_id}` is not a Slack channel (pick one with #)")
    if Customers.by_name(db, name) is not None:
        raise InputError(f"there is already a customer called `{name}`")
    if channel_id is not None:
        other = Customers.by_channel(db, channel_id)
        if other is not None:
            raise InputError(f"that channel already belongs to `{other.name}`")
    return Customers.add(
        db,
        Customer(
            name=name,
            plan=plan,
            channel_id=channel_id,
            seats=seats,
            created_at=now,
            created_by=actor,
        ),
    )


def plans_missing(db: Session, policy: Policy) -> dict[str, list[str]]:
    """Plans customers are on that the policy does not define: plan -> customer names.

    Every clock reads the customer's plan, so a policy edit that drops a plan in use must be
    caught at start-up, not by a sweep that fails on every tick.
    """
    missing: dict[str, list[str]] = {}
    for customer in Customers.all(db):
        if customer.plan not in policy.plans:
            missing.setdefault(customer.plan, []).append(customer.name)
    return missing
