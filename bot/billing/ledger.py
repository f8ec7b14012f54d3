"""Where billed time comes from, and how it draws down a customer's hour blocks.

Each feature that bills (ad-hoc days, held sessions, cancellation charges) is registered as a
charge source by `bot.features`, so the ledger never imports the features that charge it.
The allocation is always derived from every charge and block, so a back-dated entry, an
undo or a new block recomputes it consistently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.billing.blocks import Allocation, Charge, allocate
from bot.billing.hours import block_terms
from bot.policy.model import Policy, provider_today
from store.models import Customer
from store.repositories.core import HourBlocks

ChargeSource = Callable[[Session, Policy, Customer, datetime], list[Charge]]


_sources: dict[str, ChargeSource] = {}


def register_charge_source(name: str, source: ChargeSource) -> None:
    """Add (or replace, by name) a source of billed time; `bot.features` registers them all."""
    _sources[name] = source


def charge_sources() -> list[ChargeSource]:
    """Every registered source of billed time, in registration order."""
    if not _sources:
        # A ledger without its sources would bill nothing, silently: refuse instead.
        raise RuntimeError("no charge sources are registered; import bot.features first")
    return list(_sources.values())


def charges_for(db: Session, policy: Policy, customer: Customer, now: datetime) -> list[Charge]:
    charges: list[Charge] = []
    for source in charge_sources():
        charges.extend(source(db, policy, customer, now))
    return charges


@dataclass(frozen=True)
class Ledger:
    customer: Customer
    charges: list[Charge]
    allocation: Allocation
    as_of: date


def ledger_for(
    db: Session, policy: Policy, customer: Customer, now: datetime, as_of: date | None = None
) -> Ledger:
    """Charges up to `as_of` (default today) drawn against every block the customer bought."""
    as_of = as_of or provider_today(policy, now)
    charges = [c for c in charges_for(db, policy, customer, now) if c.work_date <= as_of]
    blocks = [block_terms(b) for b in HourBlocks.for_customer(db, customer.id)]
    return Ledger(customer, charges, allocate(charges, blocks, as_of), as_of)
