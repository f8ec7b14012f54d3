"""Customers: adding and finding them, checking the policy still has their plans, and the
telephone add-on (seed 000): `phone_support` is the one answer to "does this customer have
phone support now?" that fair use, the call replies, the statement and /balance all use."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.parsing import InputError, parse_name
from bot.policy.model import Policy
from store.models import Customer
from store.repositories.audit import AuditLog
from store.repositories.core import Customers, lock_customer, lock_key

MAX_SEATS = 100_000
# The advisory lock under which names and channels are checked unique across customers and
# then written: two `customer add`s at once cannot take one name or one channel.
REGISTRY = "customer-registry"
# `phone=` values: the add-on bought, removed, or back to the plan's default (NULL).
PHONE_SETTINGS: dict[str, bool | None] = {"on": True, "off": False, "plan": None}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


def check_since_added(customer: Customer, day: date, policy: Policy, what: str = "work") -> None:
    """Refuse recording `what` on a day before the customer was added (in the provider's
    timezone): it would bill a month in which they were not a customer."""
    added = customer.created_at.astimezone(policy.timezone).date()
    if day < added:
        raise InputError(
            f"{customer.name} was added on {added.isoformat()}; {what} cannot be recorded on "
            f"{day.isoformat()}, before that (check the date)"
        )


def get_customer(db: Session, name: str) -> Customer:
    """The named customer, or an InputError that says so."""
    customer = Customers.by_name(db, parse_name(name))
    if customer is None:
        raise InputError(f"there is no customer called `{name}` (a manager can add one)")
    return customer


def customer_for_work(db: Session, name: str) -> Customer:
    """The named customer, for new work (time, calls, sessions, tickets, hours): an archived
    customer is refused with the reason; its history stays readable (get_customer)."""
    customer = get_customer(db, name)
    refuse_archived(customer)
    return customer


def refuse_archived(customer: Customer) -> None:
    if customer.archived_at is not None:
        raise InputError(
            f"`{customer.name}` is archived and takes no new work (a manager can bring it "
            f"back with `/hourglass customer unarchive {customer.name}`)"
        )


def set_archived(
    db: Session, customer: Customer, archived: bool, *, actor: str, now: datetime
) -> bool:
    """Archive a customer (it refuses new work, keeps its history) or bring it back,
    audited (who, when, since when it was archived). False if it already was so."""
    lock_customer(db, customer.id)
    Customers.reload(db, customer)
    if (customer.archived_at is not None) == archived:
        return False
    before = {
        "customer": customer.name,
        "archived_at": customer.archived_at.isoformat() if customer.archived_at else None,
        "archived_by": customer.archived_by,
    }
    customer.archived_at, customer.archived_by = (now, actor) if archived else (None, None)
    _audit(
        db,
        customer,
        "customer.archive" if archived else "customer.unarchive",
        actor=actor,
        now=now,
        before=before,
        after={"archived_at": now.isoformat() if archived else None},
    )
    return True


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
    team_channel: str | None = None,
) -> Customer:
    """A new customer with its support channel (shared with the customer: their messages open
    tickets there) and the team's internal channel for it (internal alerts, SPEC §5)."""
    name = parse_name(name)
    lock_key(db, REGISTRY)
    _check_settings(db, policy, None, CustomerSettings(plan, seats, channel_id, team_channel))
    if Customers.by_name(db, name) is not None:
        raise InputError(f"there is already a customer called `{name}`")
    return Customers.add(
        db,
        Customer(
            name=name,
            plan=plan,
            channel_id=channel_id,
            team_channel=team_channel,
            seats=seats,
            created_at=now,
            created_by=actor,
        ),
    )


@dataclass(frozen=True)
class CustomerSettings:
    """What `customer edit` may change: the plan, the seats and both channels."""

    plan: str
    seats: int
    channel_id: str | None
    team_channel: str | None

    @classmethod
    def of(cls, customer: Customer) -> CustomerSettings:
        return cls(customer.plan, customer.seats, customer.channel_id, customer.team_channel)


def edit_customer(
    db: Session,
    policy: Policy,
    customer: Customer,
    wanted: CustomerSettings,
    *,
    actor: str,
    now: datetime,
) -> CustomerSettings:
    """Change a customer's plan, seats or channels, checked as `add_customer` checks them.
    Returns the settings before (the caller says what changed and how to undo it); who and
    when are kept on the row (`updated_by`, `updated_at`) when anything changed."""
    lock_key(db, REGISTRY)  # before the customer's own lock (the order in lock_key)
    lock_customer(db, customer.id)
    Customers.reload(db, customer)
    before = CustomerSettings.of(customer)
    if wanted == before:
        return before
    _check_settings(db, policy, customer, wanted)
    customer.plan, customer.seats = wanted.plan, wanted.seats
    customer.channel_id, customer.team_channel = wanted.channel_id, wanted.team_channel
    customer.updated_by, customer.updated_at = actor, now
    was, now_is = asdict(before), asdict(wanted)
    changed = [f for f in was if was[f] != now_is[f]]
    before_audit = {"customer": customer.name} | {f: was[f] for f in changed}
    after = {f: now_is[f] for f in changed}
    _audit(db, customer, "customer.edit", actor=actor, now=now, before=before_audit, after=after)
    return before


def _audit(
    db: Session,
    customer: Customer,
    action: str,
    *,
    actor: str,
    now: datetime,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str | None = None,
) -> None:
    """A change to a customer, in the audit log (flushed with it)."""
    db.flush()
    AuditLog.record(
        db,
        actor=actor,
        action=action,
        subject_kind="customer",
        subject_id=customer.id,
        at=now,
        customer_id=customer.id,
        before=before,
        after=after,
        reason=reason,
    )


def _check_settings(
    db: Session, policy: Policy, customer: Customer | None, wanted: CustomerSettings
) -> None:
    """The checks `add_customer` and `edit_customer` share (`customer` None: a new one)."""
    if wanted.plan not in policy.plans:
        raise InputError(f"there is no plan `{wanted.plan}` (plans: {', '.join(policy.plans)})")
    if not 1 <= wanted.seats <= MAX_SEATS:
        raise InputError(f"seats must be a whole number from 1 to {MAX_SEATS}")
    for given in (wanted.channel_id, wanted.team_channel):
        if given is not None and not _CHANNEL_ID.match(given):
            raise InputError(f"`{given}` is not a Slack channel (pick one with #)")
    if wanted.channel_id is not None and (
        customer is None or wanted.channel_id != customer.channel_id
    ):
        other = Customers.by_channel(db, wanted.channel_id)
        if other is not None:
            raise InputError(f"that channel already belongs to `{other.name}`")
    _check_team_channel(db, policy, wanted.channel_id, wanted.team_channel)


def revert_channel(
    db: Session,
    name: str,
    *,
    team: bool,
    now_set: str,
    back_to: str | None,
    actor: str,
    at: datetime,
) -> bool:
    """Put back the channel an edit replaced, when Slack then refused the new one
    (archived); only while the customer still has the new one. True if put back."""
    lock_key(db, REGISTRY)
    customer = Customers.by_name(db, name)
    if customer is None:
        return False
    current = customer.team_channel if team else customer.channel_id
    if current != now_set:
        return False
    field = "team_channel" if team else "channel_id"
    setattr(customer, field, back_to)
    customer.updated_by, customer.updated_at = actor, at
    _audit(
        db,
        customer,
        "customer.edit",
        actor=actor,
        now=at,
        before={"customer": customer.name, field: now_set},
        after={field: back_to},
        reason="Slack says the new channel is archived",
    )
    return True


def withdraw_customer(db: Session, name: str, channel_id: str) -> bool:
    """Take back a customer just added with a channel Slack then refused (archived).

    Only while it still has that channel; if anything already refers to it (someone logged
    time in the same second) the store refuses the delete and the caller detaches the
    channel instead. True if the customer is gone.
    """
    customer = Customers.by_name(db, name)
    if customer is None or customer.channel_id != channel_id:
        return False
    db.delete(customer)
    db.flush()
    return True


def detach_channel(db: Session, name: str, channel_id: str) -> bool:
    """The customer keeps no channel of its own: its alerts go to the provider's channel."""
    customer = Customers.by_name(db, name)
    if customer is None or customer.channel_id != channel_id:
        return False
    customer.channel_id = None
    db.flush()
    return True


def _check_team_channel(db: Session, policy: Policy, support: str | None, team: str | None) -> None:
    """A support channel is read by the customer, so it is never a team's channel: not this
    customer's, not another's, not the provider's alert channel (SPEC §5)."""
    if team is not None and team == support:
        raise InputError(
            "the team channel must not be the customer's own channel: the customer reads that one"
        )
    if team is not None and (other := Customers.by_channel(db, team)) is not None:
        raise InputError(
            f"that channel is `{other.name}`'s support channel; their people would read "
            "internal alerts there"
        )
    if support is not None and (
        support == policy.alert_channel or Customers.by_team_channel(db, support) is not None
    ):
        raise InputError(
            "that channel is a team channel for internal alerts; the customer's channel must be "
            "another"
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


# --- the telephone add-on (seed 000) --------------------------------------------------------


def plan_has_phone(customer: Customer, policy: Policy) -> bool:
    plan = policy.plans.get(customer.plan)
    return bool(plan and plan.phone_support)


def phone_support(customer: Customer, policy: Policy) -> bool:
    """Whether the customer has telephone support now, so that its calls count for fair use.

    Seed 000: "all customers who pay for telephone support (Complete Account levels or
    customers paying the additional monthly fee for telephone support on lower packages)".
    The plan's flag, or the add-on bought on top of it. The add-on only ever adds: removing
    it (False) or never buying it (None) leaves the plan's own phone support as it is.
    """
    return plan_has_phone(customer, policy) or customer.phone_support is True


def describe_phone_support(customer: Customer, policy: Policy) -> str:
    """`yes (plan)`, `yes (add-on, set by <@U…> on 2 Nov 2026)`, `no`, or
    `no (add-on removed by <@U…> on 3 Nov 2026)`; the date in the provider's timezone."""
    if plan_has_phone(customer, policy):
        return "yes (plan)"
    by = customer.phone_support_by or "someone"
    who = f"<@{by}>" if _USER_ID.match(by) else by  # "cli" from the command line
    when = (
        f" on {customer.phone_support_at.astimezone(policy.timezone):%a %-d %b %Y}"
        if customer.phone_support_at
        else ""
    )
    if customer.phone_support is True:
        return f"yes (add-on, set by {who}{when})"
    if customer.phone_support is False:
        return f"no (add-on removed by {who}{when})"
    return "no"


def parse_phone_setting(text: str) -> bool | None:
    value = text.strip().lower()
    if value not in PHONE_SETTINGS:
        raise InputError(f"`phone=` takes on, off or plan, not `{text}`")
    return PHONE_SETTINGS[value]


def set_phone_support(
    db: Session,
    policy: Policy,
    customer: Customer,
    setting: bool | None,
    *,
    actor: str,
    now: datetime,
) -> bool | None:
    """Buy (True) or remove (False) the phone add-on, or go back to the plan (None). Returns
    the setting before, so the caller can tell whether anything changed and offer the undo.
    Who and when are kept on the customer row; an unchanged setting keeps the old ones.

    A plan that includes phone support has no add-on to buy or remove: the seed counts
    Complete Account levels as paying for telephone support in the plan itself, so taking it
    away would be a change of plan, not of an add-on. Calls already recorded keep the cover
    they had when they were made (`phone_calls.covered`): the add-on was paid for then.
    """
    if setting is not None and plan_has_phone(customer, policy):
        verb = "buy" if setting else "remove"
        raise InputError(
            f"the {customer.plan} plan includes phone support, so there is no add-on to {verb} "
            "(the add-on is for plans without it)"
        )
    lock_customer(db, customer.id)
    Customers.reload(db, customer)
    before = customer.phone_support
    if before is not setting:
        customer.phone_support = setting
        customer.phone_support_by, customer.phone_support_at = actor, now
        _audit(
            db,
            customer,
            "customer.phone",
            actor=actor,
            now=now,
            before={"customer": customer.name, "phone_support": before},
            after={"phone_support": setting},
        )
    return before


def phone_setting_word(setting: bool | None) -> str:
    """The `phone=` value that gives this setting (for the undo hint)."""
    return next(word for word, value in PHONE_SETTINGS.items() if value is setting)
