"""Customers and their prepaid hour blocks: the admin rules shared by Slack and the CLI."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from bot.billing import HourBlock as BlockTerms
from bot.parsing import InputError, parse_name
from bot.policy import Policy
from store.models import Customer, HourBlock
from store.repositories import Customers, HourBlocks

MAX_SEATS = 100_000
MAX_BLOCK_HOURS = Decimal(10_000)
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")


def provider_today(policy: Policy, now: datetime) -> date:
    return now.astimezone(policy.timezone).date()


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


def parse_hours(text: str) -> int:
    """Hours bought, as whole minutes: `10`, `2.5`, `0.75`."""
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise InputError(f"`{text}` is not a number of hours") from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_BLOCK_HOURS:
        raise InputError(f"hours must be more than 0 and at most {MAX_BLOCK_HOURS}")
    minutes = hours * 60
    if minutes != minutes.to_integral_value():
        raise InputError(f"{text} hours is not a whole number of minutes")
    return int(minutes)


def add_hours(
    db: Session,
    policy: Policy,
    *,
    customer: Customer,
    minutes: int,
    purchased: date | None,
    ref: str | None,
    actor: str,
    now: datetime,
) -> HourBlock:
    today = provider_today(policy, now)
    purchased = purchased or today
    if purchased > today:
        raise InputError("the purchase date cannot be in the future")
    if ref is not None and len(ref) > 200:
        raise InputError("ref= is limited to 200 characters")
    expires = BlockTerms.expiry_for(purchased, policy.billing.block_validity_days)
    return HourBlocks.add(
        db,
        HourBlock(
            customer_id=customer.id,
            minutes=minutes,
            purchased=purchased,
            expires=expires,
            ref=ref,
            created_at=now,
            created_by=actor,
        ),
    )


def block_terms(block: HourBlock) -> BlockTerms:
    return BlockTerms(
        id=str(block.id), minutes=block.minutes, purchased=block.purchased, expires=block.expires
    )


def days_left(block: HourBlock, today: date) -> int:
    return (block.expires - today) // timedelta(days=1)
