"""Corrections of recorded calls, all from Slack and all audited: `/call list` shows an
agent's calls with their ids, `/call undo [<#id>]` takes one back, `/call restore <#id>`
takes the undo back; and the repeat check that asks before the same `/call` is recorded
twice within a minute.

Every correction of a call goes through `undo_call` or `restore_call`, which end in
`_rederive`: the one place where what follows a correction happens (the caller's and the
account's month re-measured from the live calls, the fair-use alerts withdrawn or raised
again, the long-call alert withdrawn or raised again; the alerts that follow their cause
hook in there). An undone call is kept, marked (`undone_at`), with an `audit_log` row
saying who, when and what it was; it no longer counts in fair use, on the statement, or in
a list, until a restore clears the mark.

Agents undo their own calls; a manager may undo anyone's (`check_may_correct`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.billing.corrections import (
    REPEAT_WINDOW,
    RESTORE,
    UNDO,
    check_may_correct,
    mark_undone,
)
from bot.calls import alerts, fair_use, months
from bot.calls.calls import CallSource, call_limits, check_note
from bot.calls.fair_use import Limits, Status, format_call_time
from bot.customers import refuse_archived
from bot.errors import InputError, NotFound
from bot.parsing import month_bounds
from bot.policy.model import Policy, provider_today
from bot.roles import Role
from bot.units import format_work_date
from store.models import Customer, PhoneCall
from store.models.calls import BILLED_AS_TRAINING
from store.repositories.calls import PhoneCalls
from store.repositories.core import lock_customer, lock_key

SUBJECT = "phone_call"


def snapshot(call: PhoneCall) -> dict[str, Any]:
    """What a call was, for the audit trail."""
    return {
        "customer": call.customer.name,
        "customer_id": call.customer_id,
        "agent_id": call.agent_id,
        "caller": call.caller,
        "started_at": call.started_at.astimezone(UTC).isoformat(),
        "seconds": call.seconds,
        "quality": call.quality,
        "note": call.note,
        "covered": call.covered,
        "source": call.source,
        "billed_as": call.billed_as,
    }


def _call(db: Session, call_id: int | None, actor: str) -> PhoneCall:
    """The call `#id` names; without an id, the actor's last live call."""
    if call_id is None:
        last = PhoneCalls.last_live_for_agent(db, actor)
        if last is None:
            raise InputError("you have no call to undo")
        return last
    found = PhoneCalls.find(db, call_id)
    if found is None:
        raise NotFound(f"there is no call #{call_id} (`/call list` shows your ids)")
    return found


@dataclass(frozen=True)
class CallUndone:
    """An undone call and its month measured again without it."""

    call: PhoneCall
    customer: Customer
    month: str
    caller_seconds: int
    caller_status: Status
    limits: Limits
    account_seconds: int
    account_status: Status
    account_limits: Limits


def undo_call(
    db: Session, policy: Policy, call_id: int | None, *, actor: str, role: Role | str, now: datetime
) -> CallUndone:
    """Take back call `#call_id` (None: the actor's last live call). It is kept, marked
    undone, and the correction is audited; its month is re-measured from the other calls."""
    call = _call(db, call_id, actor)
    check_may_correct(call.agent_id, actor, role, f"call #{call.id}")
    # The customer's lock first, as recording a call and billing one as training take it.
    lock_customer(db, call.customer_id)
    db.refresh(call)
    if call.undone_at is not None:
        raise InputError(f"call #{call.id} was already undone; nothing changed")
    mark_undone(
        db, call, now, subject=SUBJECT, verb=UNDO, actor=actor, now=now, before=snapshot(call)
    )
    return _rederive(db, policy, call, f"call #{call.id} was undone by <@{actor}>", now)


def restore_call(
    db: Session, policy: Policy, call_id: int, *, actor: str, role: Role | str, now: datetime
) -> CallUndone:
    """Take back the undo of call `#call_id`: it counts again (its customer must still take
    work). Audited; its month is re-measured with it, and the alerts the undo withdrew are
    raised again in place."""
    call = PhoneCalls.find(db, call_id)
    if call is None:
        raise NotFound(f"there is no call #{call_id} (`/call list` shows your ids)")
    check_may_correct(call.agent_id, actor, role, f"call #{call.id}")
    refuse_archived(call.customer)
    lock_customer(db, call.customer_id)
    db.refresh(call)
    if call.undone_at is None:
        raise InputError(f"call #{call.id} is not undone; nothing changed")
    before = snapshot(call) | {"undone_at": call.undone_at.astimezone(UTC).isoformat()}
    mark_undone(db, call, None, subject=SUBJECT, verb=RESTORE, actor=actor, now=now, before=before)
    return _rederive(db, policy, call, f"call #{call.id} was restored by <@{actor}>", now)


def _rederive(
    db: Session, policy: Policy, call: PhoneCall, reason: str, now: datetime
) -> CallUndone:
    """What follows every correction of a call, in the correction's transaction: the
    caller's and the account's month measured from the live calls, their fair-use alerts
    withdrawn (back within a limit, saying `reason`) or raised again, and the call's
    long-call alert withdrawn (undone) or raised again (restored). Alerts whose cause a
    correction removes (issue 19 item 2) are to be re-evaluated here, the one place for
    them."""
    month = months.measure(db, policy, call)
    if call.covered:
        if call.undone_at is not None:
            alerts.withdraw_long_call(db, call, reason, now)
        elif fair_use.is_long_call(call.seconds, month.rules):
            alerts.raise_long_call(db, policy, call, call.customer, month.rules, now)
        months.resync_alerts(db, policy, call, month, reason=reason, now=now)
    return CallUndone(
        call=call,
        customer=call.customer,
        month=month.label,
        caller_seconds=month.caller_seconds,
        caller_status=fair_use.status_for(month.caller_seconds, month.rules),
        limits=month.rules,
        account_seconds=month.account_seconds,
        account_status=fair_use.status_for(month.account_seconds, month.account_rules),
        account_limits=month.account_rules,
    )


def refresh_account(
    db: Session, policy: Policy, customer: Customer, *, reason: str, now: datetime
) -> None:
    """After a customer's seats change (`/hourglass customer edit … seats=`), this month's
    account allowance is measured again: its fair-use alerts are withdrawn when the account
    is back within the new limits (saying `reason`) or raised again in place when over."""
    year, month = fair_use.month_of(now, policy.timezone)
    start, end = month_bounds(year, month, policy.timezone)
    seconds = PhoneCalls.covered_seconds(db, customer.id, start, end)
    alerts.raise_over_limits(
        db,
        policy,
        customer,
        caller=None,
        month=fair_use.month_label(year, month),
        seconds=seconds,
        rules=call_limits(policy, now).for_account(customer.seats),
        now=now,
        reason=reason,
    )


def calls_on(db: Session, policy: Policy, agent_id: str, day: date) -> list[tuple[PhoneCall, str]]:
    """The agent's live calls on a provider day (the day `/call … on <date>` records them
    on), oldest first, each with its customer's name."""
    start = datetime.combine(day, time(0), tzinfo=policy.timezone)
    end = start + timedelta(days=1)
    return [(c, c.customer.name) for c in PhoneCalls.by_agent(db, agent_id, start, end)]


def describe_call(policy: Policy, call: PhoneCall, customer_name: str) -> str:
    """`10:05 20m call with jane (acme) — long call: "reset"`, for a list."""
    at = call.started_at.astimezone(policy.timezone)
    text = f"{at:%H:%M} {format_call_time(call.seconds)} call with {call.caller} ({customer_name})"
    flags = []
    if not call.covered:
        flags.append("not covered by the plan")
    elif fair_use.is_long_call(call.seconds, call_limits(policy, call.started_at)):
        flags.append("long call")
    if call.billed_as == BILLED_AS_TRAINING:
        flags.append("billed as training")
    if flags:
        text += " — " + ", ".join(flags)
    if call.note:
        text += f': "{call.note}"'
    return text


def call_day(policy: Policy, call: PhoneCall, now: datetime) -> str:
    """The call's day in the provider's timezone, with its year when not this year's."""
    day = call.started_at.astimezone(policy.timezone).date()
    return format_work_date(day, provider_today(policy, now))


def find_repeat(
    db: Session,
    policy: Policy,
    *,
    customer: Customer,
    caller: str,
    agent_id: str,
    seconds: int,
    quality: int | None,
    note: str | None,
    on: date | None,
    now: datetime,
) -> PhoneCall | None:
    """The agent's live call, recorded with `/call` within `REPEAT_WINDOW`, that these
    values would record again: the same customer, caller, duration, quality, note and day
    (the same `/call` text, as it reads). None: not a repeat. Under the agent's lock (a
    person's lock, taken before any customer's), so two identical `/call`s at once are
    serialised: the second sees the first and is asked about."""
    lock_key(db, "agent-calls", agent_id)
    day = on or provider_today(policy, now)
    wanted = (customer.id, caller, seconds, quality, check_note(note))
    for call in PhoneCalls.recent_for_agent(db, agent_id, now - REPEAT_WINDOW):
        got = (call.customer_id, call.caller, call.seconds, call.quality, call.note)
        same_day = call.started_at.astimezone(policy.timezone).date() == day
        if got == wanted and same_day and call.source == CallSource.MANUAL:
            return call
    return None
