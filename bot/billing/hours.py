"""Selling hour blocks and reading stored blocks as the billing rules' `HourBlock` terms."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.billing.blocks import HourBlock as BlockTerms
from bot.parsing import InputError, check_days_back, parse_duration
from bot.policy.model import Policy, provider_today
from bot.text import parse_decimal
from store.models import Customer, HourBlock
from store.repositories.core import HourBlocks, lock_customer

MAX_BLOCK_HOURS = Decimal(10_000)


def parse_hours(text: str) -> int:
    """Hours bought, as whole minutes: a number of hours (`10`, `2.5`, `0,75`) or a duration
    as people type it (`10h`, `10 hours`, `1h30`, `90m`)."""
    try:
        hours = parse_decimal(text.strip().replace(",", "."), "hours", signed=True)
    except InputError:  # not a number (ASCII digits only): a duration, as people type it
        try:
            duration = parse_duration(text)
        except InputError:
            raise InputError(f"`{text}` is not a number of hours (try 10 or 10h)") from None
        hours = Decimal(int(duration.total_seconds())) / 3600
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
    check_days_back(purchased, today, "a purchase")
    if ref is not None and len(ref) > 200:
        raise InputError("ref= is limited to 200 characters")
    expires = BlockTerms.expiry_for(purchased, policy.billing.block_validity_days)
    # A /log at the same moment either sees this block (so no block_low for a balance it
    # tops up) or is seen by whatever reads the ledger next.
    lock_customer(db, customer.id)
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
