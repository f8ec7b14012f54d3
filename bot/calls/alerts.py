"""Fair-use alerts on a recorded call (seed 000): the long-call flag (over
`fair_use.long_call`, 15 minutes) with its Book training button, and the allowance (45
minutes per seat) and review alerts for a caller's month and for the account's.

Each alert is raised once per call, or once per caller (or account) and month, through the
outbox in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.alerts.outbox import alert_channel, raise_alert
from bot.blocks import actions, button, section
from bot.calls.fair_use import Limits, format_call_time, format_limit
from bot.policy.model import Policy
from store.models import Customer, PhoneCall

ACCOUNT = "@account"  # stands for "all callers" in alert keys; never a valid caller name

# Block Kit action id of the long-call alert's button, shared with handlers/actions/calls.py.
ACTION_BOOK_TRAINING = "fair_use_book_training"


def raise_long_call(
    db: Session, policy: Policy, call: PhoneCall, customer: Customer, rules: Limits, now: datetime
) -> None:
    """A call over the long-call limit may be training rather than support."""
    text = (
        f":telephone_receiver: *Long call*: {call.caller} at *{customer.name}* talked for "
        f"{format_call_time(call.seconds)} (over "
        f"{format_limit(rules.long_call)}) — this may be training rather "
        f"than support. Training sessions are {policy.training_rate} {policy.currency} "
        "per hour."
    )
    raise_alert(
        db,
        key=f"long_call:{call.id}",
        kind="long_call",
        channel=alert_channel(customer, policy.alert_channel),
        text=text,
        now=now,
        customer_id=customer.id,
        data={"call_id": call.id, "caller": call.caller, "seconds": call.seconds},
        blocks=[
            section(text),
            actions(button(ACTION_BOOK_TRAINING, "Book training", customer.name)),
        ],
    )


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
) -> None:
    """A caller's month (or, with `caller` None, the account's, all callers) over the
    allowance, and over the review limit. Both limits are strict."""
    who = caller if caller is not None else ACCOUNT
    label = (
        f"{caller} at *{customer.name}*"
        if caller is not None
        else f"the *{customer.name}* account ({customer.seats} seat"
        f"{'s' if customer.seats != 1 else ''}, all callers)"
    )
    used = format_call_time(seconds)
    crossed = (
        (
            "fair_use_allowance",
            rules.allowance,
            f":warning: *Phone allowance used*: {label} has had {used} of phone support "
            f"in {month}, over the {format_limit(rules.allowance)} allowance.",
        ),
        (
            "fair_use_review",
            rules.review,
            f":rotating_light: *Fair use review*: {label} has had {used} of phone "
            f"support in {month}, over the {format_limit(rules.review)} review limit. "
            "Flagged for review.",
        ),
    )
    for kind, limit, text in crossed:
        if seconds > limit:
            raise_alert(
                db,
                key=f"{kind}:{customer.id}:{who}:{month}",
                kind=kind,
                channel=alert_channel(customer, policy.alert_channel),
                text=text,
                now=now,
                customer_id=customer.id,
                data={"caller": who, "month": month, "seconds": seconds},
            )
