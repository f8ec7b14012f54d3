"""Fair-use alerts on a recorded call (seed 000): the long-call flag (over
`fair_use.long_call`, 15 minutes) with its Book training and Bill as training buttons, and
the allowance (45 minutes per seat) and review alerts for a caller's month and for the
account's.

Each alert is raised once per call, or once per caller (or account) and month, through the
outbox in the caller's transaction. A month that falls back within a limit (a call billed
as training leaves fair use) has its alert edited to say it was withdrawn; crossing the
limit again raises it again, in place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.alerts.follow import raise_or_revive, withdraw
from bot.alerts.outbox import customer_key, update_alert
from bot.blocks import actions, button, section
from bot.calls.fair_use import Limits, format_call_time, format_limit
from bot.policy.model import Policy
from bot.units import plural
from store.models import Customer, PhoneCall
from store.repositories.core import Alerts

# Why fair-use alerts are withdrawn when nothing else is said: the usual correction.
TRAINING_REASON = "a call was billed as training"
ACCOUNT = "@account"  # stands for "all callers" in alert keys; never a valid caller name

# Block Kit action ids of the long-call alert's buttons, shared with handlers/actions/calls.py.
ACTION_BOOK_TRAINING = "fair_use_book_training"
ACTION_BILL_TRAINING = "fair_use_bill_training"
ACTION_BILL_SUPPORT = "fair_use_bill_support"


def long_call_key(call: PhoneCall) -> str:
    return f"long_call:{call.id}"


def long_call_text(policy: Policy, call: PhoneCall, customer: Customer, rules: Limits) -> str:
    return (
        f":telephone_receiver: *Long call* #{call.id}: {call.caller} at *{customer.name}* "
        f"talked for {format_call_time(call.seconds)} (over "
        f"{format_limit(rules.long_call)}) — this may be training rather "
        f"than support. Training sessions are {policy.training_rate} {policy.currency} "
        "per hour."
    )


def long_call_blocks(text: str, call: PhoneCall, customer: Customer) -> list[dict[str, Any]]:
    """The alert's buttons: Book training and, for a manager, Bill as training."""
    return [
        section(text),
        actions(
            button(ACTION_BOOK_TRAINING, "Book training", customer.name),
            button(ACTION_BILL_TRAINING, "Bill as training", str(call.id)),
        ),
    ]


def raise_long_call(
    db: Session, policy: Policy, call: PhoneCall, customer: Customer, rules: Limits, now: datetime
) -> None:
    """A call over the long-call limit may be training rather than support (raised again in
    place if an undo withdrew it and the call was restored)."""
    text = long_call_text(policy, call, customer, rules)
    raise_or_revive(
        db,
        policy,
        key=long_call_key(call),
        kind="long_call",
        customer=customer,
        text=text,
        now=now,
        data={"call_id": call.id, "caller": call.caller, "seconds": call.seconds},
        blocks=long_call_blocks(text, call, customer),
    )


def show_billing(
    db: Session, policy: Policy, call: PhoneCall, rules: Limits, actor: str, now: datetime
) -> bool:
    """Edit the long-call alert in place to say how the call is billed and who decided:
    billed as training (with an Undo button), or back to support (with its buttons again)."""
    customer = call.customer
    text = long_call_text(policy, call, customer, rules)
    if call.billed_as == "training":
        text += (
            f"\n:mortar_board: Billed as training by <@{actor}> — out of the phone "
            "allowance, on the month's statement at the training rate."
        )
        blocks = [
            section(text),
            actions(button(ACTION_BILL_SUPPORT, "Undo (bill as support)", str(call.id))),
        ]
        state = "billed_training"
    else:
        text += (
            f"\n:leftwards_arrow_with_hook: Training billing undone by <@{actor}> — counted "
            "as support again, in the phone allowance."
        )
        blocks = long_call_blocks(text, call, customer)
        state = "billed_support"
    return update_alert(
        db,
        long_call_key(call),
        state=state,
        text=text,
        now=now,
        blocks=blocks,
        data={"billed_as": call.billed_as, "billed_by": actor},
    )


def withdraw_long_call(db: Session, call: PhoneCall, reason: str, now: datetime) -> bool:
    """The long-call alert of a call that no longer counts (undone) is edited in place to say
    it was withdrawn, and why; its buttons go. False if the call raised none."""
    return withdraw(db, long_call_key(call), why=reason, now=now)


def raise_over_limits(
    db: Session,
    policy: Policy,
    customer: Customer,
    *,
    caller: str | None,
    month: str,
    seconds: int,
    rules: Limits,
    now: datetime,
    reason: str = TRAINING_REASON,
) -> None:
    """A caller's month (or, with `caller` None, the account's, all callers) over the
    allowance, and over the review limit. Both limits are strict. A month back within a
    limit has that alert withdrawn (saying why: `reason`); over it again, the alert is
    raised again in place."""
    who = caller if caller is not None else ACCOUNT
    label = (
        f"{caller} at *{customer.name}*"
        if caller is not None
        else f"the *{customer.name}* account ({plural(customer.seats, 'seat')}, all callers)"
    )
    used = format_call_time(seconds)
    crossed = (
        (
            "fair_use_allowance",
            f"{format_limit(rules.allowance)} allowance",
            rules.allowance,
            f":warning: *Phone allowance used*: {label} has had {used} of phone support "
            f"in {month}, over the {format_limit(rules.allowance)} allowance.",
        ),
        (
            "fair_use_review",
            f"{format_limit(rules.review)} review limit",
            rules.review,
            f":rotating_light: *Fair use review*: {label} has had {used} of phone "
            f"support in {month}, over the {format_limit(rules.review)} review limit. "
            "Flagged for review.",
        ),
    )
    keys = {kind: f"{kind}:{customer.id}:{who}:{month}" for kind, *_ in crossed}
    # Both kinds' alerts (and customer copies) in one read: within a limit with no alert
    # raised, the common case, there is nothing to withdraw and nothing more is read.
    known = Alerts.by_keys(db, [k for key in keys.values() for k in (key, customer_key(key))])
    for kind, limit_name, limit, text in crossed:
        if seconds <= limit and not {keys[kind], customer_key(keys[kind])} & known.keys():
            continue
        data = {"caller": who, "month": month, "seconds": seconds}
        if seconds > limit:  # raised once; again, in place, if it was withdrawn
            raise_or_revive(
                db,
                policy,
                key=keys[kind],
                kind=kind,
                customer=customer,
                text=text,
                now=now,
                data=data,
            )
        else:
            why = f"{label} is back to {used} of phone support in {month}, within the {limit_name} ({reason})"
            withdraw(db, keys[kind], why=why, now=now, data=data)
