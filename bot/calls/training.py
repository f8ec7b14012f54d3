"""Long calls billed as training (seed 000): calls over 15 minutes "might be deemed as
training rather than support", and training is "chargeable at £60 (ex VAT) per hour".

A manager decides, per call (`/call bill <#id> training`, or the long-call alert's *Bill as
training* button); the decision is kept on the call with who made it and when, and undone
the same way (`/call bill <#id> undo`, or `support`). A call billed as training:

* is charged at `provider.training_rate` on the statement of the month it was made, for its
  time in whole minutes (a started minute counts, as the statement bills whole minutes);
* leaves fair use: it no longer counts toward the caller's or the account's allowance, and
  the fair-use alerts it caused are withdrawn if the month falls back within the limit.

Only covered long calls qualify: the seed's "deemed as training" is part of the fair-use
policy for customers paying for phone support, and applies to calls over 15 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot.calls import alerts, fair_use, months
from bot.calls.calls import call_limits
from bot.calls.fair_use import Status, format_call_time, format_limit
from bot.parsing import InputError, month_bounds, parse_record_id
from bot.policy.model import Policy, provider_today
from bot.units import format_minutes, format_work_date, overage_amount
from store.models import Customer, PhoneCall
from store.models.calls import BILLED_AS_TRAINING
from store.repositories.calls import PhoneCalls
from store.repositories.core import lock_customer


class CallBilling(StrEnum):
    """How a manager decided a call is billed."""

    TRAINING = BILLED_AS_TRAINING
    SUPPORT = "support"


# The words `/call bill <#id> <word>` takes; `undo` is the same as `support`.
BILLING_WORDS = {
    "training": CallBilling.TRAINING,
    "support": CallBilling.SUPPORT,
    "undo": CallBilling.SUPPORT,
}


def parse_billing(word: str) -> CallBilling:
    billing = BILLING_WORDS.get(word.lower())
    if billing is None:
        raise InputError(f"`{word}` is not a billing decision (training, or undo / support)")
    return billing


def billed_minutes(seconds: int) -> int:
    """A call's time in whole minutes, a started minute counting: 16m 01s bills 17m."""
    if seconds < 0:
        raise ValueError("a call cannot last a negative time")
    return -(-seconds // 60)


def training_amount(policy: Policy, seconds: int) -> Decimal:
    return overage_amount(billed_minutes(seconds), policy.training_rate)


@dataclass(frozen=True)
class BillingDecision:
    """What deciding did: whether anything changed, and the caller's fair-use month after."""

    call: PhoneCall
    customer: Customer
    changed: bool
    month: str
    caller_seconds: int
    caller_status: Status
    allowance: int
    today: date | None = None  # the provider's today: a date in another year shows its year


def _checked_call(db: Session, policy: Policy, text: str) -> PhoneCall:
    """The call `#id` names, with its customer locked: only a covered long call qualifies."""
    call_id = parse_record_id(text, "call")
    call = PhoneCalls.find(db, call_id)
    if call is None:
        raise InputError(f"there is no call #{call_id}")
    lock_customer(db, call.customer_id)
    db.refresh(call)  # the decision is read after the lock, so two at once are serialised
    if call.undone_at is not None:
        raise InputError(f"call #{call.id} was undone, so it is billed as nothing; nothing changed")
    if not call.covered:
        raise InputError(
            f"#{call.id} is not covered by the {call.customer.plan} plan's phone support, so "
            "it is outside fair use and there is nothing to bill as training; nothing changed"
        )
    rules = call_limits(policy, call.started_at)
    if not fair_use.is_long_call(call.seconds, rules):
        raise InputError(
            f"#{call.id} lasted {format_call_time(call.seconds)}, not over "
            f"{format_limit(rules.long_call)}: only a long call may be billed as training; "
            "nothing changed"
        )
    return call


def decide(
    db: Session, policy: Policy, text: str, billing: CallBilling, *, actor: str, now: datetime
) -> BillingDecision:
    """Bill the call `text` names as training, or as support again (undo). Deciding what is
    already so changes nothing and says so; a change is audited (who, when), re-measures the
    caller's and the account's month, and edits the long-call alert in place."""
    call = _checked_call(db, policy, text)
    current = CallBilling.TRAINING if call.billed_as == BILLED_AS_TRAINING else None
    changed = (billing is CallBilling.TRAINING) != (current is CallBilling.TRAINING)
    if changed:
        call.billed_as, call.billed_by, call.billed_at = billing.value, actor, now
        db.flush()
        alerts.show_billing(db, policy, call, call_limits(policy, call.started_at), actor, now)
    return _remeasure(db, policy, call, changed=changed, now=now)


def _remeasure(
    db: Session, policy: Policy, call: PhoneCall, *, changed: bool, now: datetime
) -> BillingDecision:
    """The caller's and the account's month after the decision; after a change, their
    fair-use alerts are withdrawn (back within a limit) or raised again (over it again)."""
    month = months.measure(db, policy, call)
    if changed:
        months.resync_alerts(db, policy, call, month, reason=alerts.TRAINING_REASON, now=now)
    return BillingDecision(
        call=call,
        customer=call.customer,
        changed=changed,
        month=month.label,
        caller_seconds=month.caller_seconds,
        caller_status=fair_use.status_for(month.caller_seconds, month.rules),
        allowance=month.rules.allowance,
        today=provider_today(policy, now),
    )


def describe(policy: Policy, decision: BillingDecision) -> str:
    """The reply to a decision, in plain words."""
    call = decision.call
    day = format_work_date(call.started_at.astimezone(policy.timezone).date(), decision.today)
    what = (
        f"#{call.id} ({format_call_time(call.seconds)} call with {call.caller} at "
        f"*{decision.customer.name}* on {day})"
    )
    month = (
        f"{call.caller} now has {format_call_time(decision.caller_seconds)} this month "
        f"({decision.month}) of {format_limit(decision.allowance)} allowance — "
        f"{fair_use.describe_status(decision.caller_status)}."
    )
    if call.billed_as == BILLED_AS_TRAINING:
        if not decision.changed:
            return (
                f":information_source: {what} is already billed as training (by "
                f"{_decided(policy, call, decision.today)}); nothing changed."
            )
        return (
            f":mortar_board: {what} is billed as training: "
            f"{format_minutes(billed_minutes(call.seconds))} at {policy.training_rate} "
            f"{policy.currency} per hour = {training_amount(policy, call.seconds)} "
            f"{policy.currency} on the {decision.month} statement, and no longer counts "
            f"toward fair use. {month} Undo with `/call bill #{call.id} undo`."
        )
    if not decision.changed:
        return f":information_source: {what} is not billed as training; nothing changed."
    return (
        f":leftwards_arrow_with_hook: {what} is billed as support again: off the "
        f"{decision.month} statement's training, back in fair use. {month}"
    )


def _decided(policy: Policy, call: PhoneCall, today: date | None) -> str:
    """Who made the call's billing decision, and on which day (provider's timezone)."""
    if call.billed_at is None:
        return f"<@{call.billed_by}>"
    day = call.billed_at.astimezone(policy.timezone).date()
    return f"<@{call.billed_by}> on {format_work_date(day, today)}"


# --- the statement --------------------------------------------------------------------------


def statement_rows(
    db: Session, policy: Policy, customer: Customer, year: int, month: int
) -> list[dict[str, Any]]:
    """The statement's `training_calls` rows: each call of the month billed as training, its
    minutes and amount at the training rate, and who decided when."""
    first = date(year, month, 1)
    return statement_rows_by_month(db, policy, customer, first, first).get(first, [])


def statement_rows_by_month(
    db: Session, policy: Policy, customer: Customer, first: date, last: date
) -> dict[date, list[dict[str, Any]]]:
    """`statement_rows` of each month from `first`'s to `last`'s, by the month's first day
    (months without such calls left out), from one read."""
    start, _ = month_bounds(first.year, first.month, policy.timezone)
    _, end = month_bounds(last.year, last.month, policy.timezone)
    found: dict[date, list[dict[str, Any]]] = {}
    for call in PhoneCalls.in_range(db, customer.id, start, end, billed_as=CallBilling.TRAINING):
        month = call.started_at.astimezone(policy.timezone).date().replace(day=1)
        found.setdefault(month, []).append(_statement_row(policy, call))
    return found


def _statement_row(policy: Policy, call: PhoneCall) -> dict[str, Any]:
    return {
        "id": str(call.id),
        "caller": call.caller,
        "start": call.started_at.astimezone(UTC).isoformat(),
        "seconds": call.seconds,
        "billed_minutes": billed_minutes(call.seconds),
        "amount": f"{training_amount(policy.at(call.started_at), call.seconds):.2f}",
        "billed_by": call.billed_by or "",
        "billed_at": call.billed_at.astimezone(UTC).isoformat() if call.billed_at else "",
    }
