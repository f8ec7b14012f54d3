"""A call's month for fair use, measured again after a decision or a correction: the
caller's and the account's covered time, and their allowance and review alerts brought in
line (withdrawn when back within a limit, raised again in place when over it again).

One place for what `/call bill` (bot.calls.training) and `/call undo`
(bot.calls.corrections) both do once a call's place in its month has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.calls import alerts, fair_use
from bot.calls.calls import call_limits
from bot.calls.fair_use import Limits
from bot.parsing import month_bounds
from bot.policy.model import Policy
from store.models import PhoneCall
from store.repositories.calls import PhoneCalls


@dataclass(frozen=True)
class CallMonth:
    """The month a call falls in (`2026-11`), as it stands now."""

    label: str
    caller_seconds: int  # the call's caller, covered calls only
    account_seconds: int  # every caller of the customer
    rules: Limits
    account_rules: Limits


def measure(db: Session, policy: Policy, call: PhoneCall) -> CallMonth:
    """The caller's and the account's covered time in the call's month, and their limits."""
    customer = call.customer
    rules = call_limits(policy, call.started_at)
    year, month = fair_use.month_of(call.started_at, policy.timezone)
    start, end = month_bounds(year, month, policy.timezone)
    return CallMonth(
        label=fair_use.month_label(year, month),
        caller_seconds=PhoneCalls.covered_seconds(db, customer.id, start, end, call.caller),
        account_seconds=PhoneCalls.covered_seconds(db, customer.id, start, end),
        rules=rules,
        account_rules=rules.for_account(customer.seats),
    )


def resync_alerts(
    db: Session, policy: Policy, call: PhoneCall, month: CallMonth, *, reason: str, now: datetime
) -> None:
    """The caller's and the account's allowance and review alerts, true to `month`; a
    withdrawn one says `reason` (what changed)."""
    for caller, seconds, limits in (
        (call.caller, month.caller_seconds, month.rules),
        (None, month.account_seconds, month.account_rules),
    ):
        alerts.raise_over_limits(
            db,
            policy,
            call.customer,
            caller=caller,
            month=month.label,
            seconds=seconds,
            rules=limits,
            now=now,
            reason=reason,
        )
