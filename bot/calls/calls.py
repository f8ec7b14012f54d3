"""Phone calls (seed 000): recording a call, from a timer or after the fact with `/call`, and
reading the month back per caller against the fair-use allowance.

`record_call` is the operation behind `/call`; `record` is what it and `stop_timer` (in
`bot.calls.timers`) share: it stores the call, measures the caller's and the account's
month, and raises the fair-use alerts (`bot.calls.alerts`) in the caller's transaction.
`month_rows` is the statement's `calls` section, `balance_lines` the `/balance` lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.calls import alerts, fair_use
from bot.calls.fair_use import CallRecord, Limits, Status, format_call_time, format_limit
from bot.customers import check_since_added, describe_phone_support, phone_support
from bot.errors import Conflict
from bot.parsing import MAX_DAYS_BACK, InputError, check_days_back, format_duration, month_bounds
from bot.policy.model import Policy, provider_today
from bot.units import format_minutes, plural
from store.models import Customer, PhoneCall
from store.models.calls import BILLED_AS_TRAINING as TRAINING
from store.repositories.calls import PhoneCalls
from store.repositories.core import Customers

MAX_NOTE = 500
# How far back `/call … on <date>` may reach, in days before today (the later of the agent's
# and the provider's). A call from longer ago would count in a fair-use month long since
# settled and post its long-call and fair-use alerts now; a year (and a day, for leap years)
# covers any real correction.
MAX_CALL_AGE_DAYS = MAX_DAYS_BACK  # the same bound as /log and hour blocks


class TimerRunning(Conflict):
    """A second /timer start: says which timer is running."""


class CallSource(StrEnum):
    """How a call was recorded: by stopping a timer, or after the fact with /call."""

    TIMER = "timer"
    MANUAL = "manual"


def limits(policy: Policy) -> Limits:
    return Limits.from_policy(policy.fair_use)


def call_limits(policy: Policy, started_at: datetime) -> Limits:
    """The fair-use limits of the version in force on the first day of the call's month
    (issue 16: an allowance is the month's), as the statement's `calls` rows read them."""
    year, month = fair_use.month_of(started_at, policy.timezone)
    return limits(policy.at(date(year, month, 1)))


def check_note(note: str | None) -> str | None:
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise InputError(f"a note is limited to {MAX_NOTE} characters")
    return note


def parse_quality(text: str) -> int:
    if text not in {"1", "2", "3", "4", "5"}:
        raise InputError(f"the quality score (q=) must be from 1 to 5, not `{text}`")
    return int(text)


def split_quality(tokens: list[str]) -> tuple[int | None, list[str]]:
    """Take the one option, `q=<1-5>`, out of the tokens; every other token, `=` or not,
    stays as text (a note like `reset pwd=abc` is a note, not an unknown option)."""
    quality: int | None = None
    seen = False
    words = []
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and key.lower() == "q":
            if seen:
                raise InputError("`q=` is given twice")
            seen = True
            quality = parse_quality(value)
        else:
            words.append(token)
    return quality, words


@dataclass(frozen=True)
class CallOutcome:
    """What recording a call means for fair use, for the reply."""

    call: PhoneCall
    customer: Customer
    covered: bool
    long_call: bool
    month: str
    caller_seconds: int
    caller_status: Status
    account_seconds: int
    account_status: Status
    limits: Limits
    account_limits: Limits

    def summary(self, when: str = "") -> str:
        """The reply: duration, long-call flag, the caller's month against the allowance.
        `when` (e.g. " on Fri 30 Oct") follows "recorded" for calls after the fact."""
        seconds = self.call.seconds
        who = f"{self.call.caller} ({self.customer.name})"
        head = f"{format_call_time(seconds)} call with {who} recorded{when}"
        if self.call.quality is not None:
            head += f" (quality {self.call.quality}/5)"
        if not self.covered:
            return (
                f"{head}. Call #{self.call.id}. :no_entry_sign: Phone support is *not covered* by the "
                f"{self.customer.plan} plan and {self.customer.name} has no phone add-on: the "
                "call is kept on record but does not count towards fair use."
            )
        long = (
            f" — a *long call* (over {format_limit(self.limits.long_call)}), possibly training"
            if self.long_call
            else ""
        )
        # The id a manager needs to bill a long call as training (`bot.calls.training`).
        named = f"Call #{self.call.id}" + (
            f"; a manager can bill it as training with `/call bill #{self.call.id} training`."
            if self.long_call
            else "."
        )
        allowance = format_limit(self.limits.allowance)
        lines = [
            f"{head}{long}. {named}",
            f"{self.call.caller}: {format_call_time(self.caller_seconds)} this month "
            f"({self.month}) of {allowance} allowance — "
            f"{fair_use.describe_status(self.caller_status)}.",
        ]
        if self.account_status is not Status.WITHIN:
            lines.append(
                f"{self.customer.name} account: {format_call_time(self.account_seconds)} of "
                f"{format_limit(self.account_limits.allowance)} "
                f"({plural(self.customer.seats, 'seat')}) — "
                f"{fair_use.describe_status(self.account_status)}."
            )
        return "\n".join(lines)


# --- recording a call -----------------------------------------------------------------------


def call_start(*, seconds: int, on: date | None, provider_tz: ZoneInfo, now: datetime) -> datetime:
    """When a call recorded with /call began.

    A call recorded after the fact is on a PROVIDER day: the date typed, or without one the
    provider's today — so no date and `on today` are the same call, in the same month, as
    `/log` puts undated work on the billing day. It is placed within that day in the
    provider's timezone, so it counts in that day's month whatever the agent's timezone: an
    earlier date at 12:00 provider time; the provider's today (or the agent's today, a date
    ahead of the provider's) ends now but never starts before that day's start."""
    provider_day = now.astimezone(provider_tz).date()
    day = provider_day if on is None else on
    if day < provider_day:
        return datetime.combine(day, time(12, 0), tzinfo=provider_tz).astimezone(UTC)
    day_start = datetime.combine(day, time(0), tzinfo=provider_tz).astimezone(UTC)
    return max(now - timedelta(seconds=seconds), day_start)


def record_call(
    db: Session,
    policy: Policy,
    *,
    customer: Customer,
    caller: str,
    agent_id: str,
    duration: timedelta,
    on: date | None,
    user_tz: ZoneInfo,
    quality: int | None,
    note: str | None,
    now: datetime,
) -> CallOutcome:
    seconds = int(duration.total_seconds())
    if seconds <= 0:
        raise InputError("a call must last longer than zero")
    if duration > policy.fair_use.max_call:
        raise InputError(
            f"{format_duration(duration)} is longer than the longest call allowed "
            f"({format_duration(policy.fair_use.max_call)})"
        )
    # `today`/`yesterday` arrive as provider days; a YYYY-MM-DD stays as typed, so an agent
    # ahead of the provider may date a call on their own today.
    today = max(now.astimezone(user_tz).date(), provider_today(policy, now))
    if on is not None and on > today:
        raise InputError("a call cannot be recorded for a future date")
    if on is not None:
        check_days_back(on, today, "a call")
        check_since_added(customer, on, policy, "a call")
    note = check_note(note)
    return record(
        db,
        policy,
        customer=customer,
        caller=caller,
        agent_id=agent_id,
        started_at=call_start(seconds=seconds, on=on, provider_tz=policy.timezone, now=now),
        seconds=seconds,
        quality=quality,
        note=note,
        source=CallSource.MANUAL,
        now=now,
    )


def record(
    db: Session,
    policy: Policy,
    *,
    customer: Customer,
    caller: str,
    agent_id: str,
    started_at: datetime,
    seconds: int,
    quality: int | None,
    note: str | None,
    source: CallSource,
    now: datetime,
) -> CallOutcome:
    """Store a finished call, measure its month, and raise its fair-use alerts if covered."""
    # A phone add-on set while this call waited for the lock counts (seed 000).
    Customers.lock_and_reload(db, customer)
    is_covered = phone_support(customer, policy)
    call = PhoneCalls.add(
        db,
        PhoneCall(
            customer_id=customer.id,
            caller=caller,
            agent_id=agent_id,
            started_at=started_at,
            seconds=seconds,
            quality=quality,
            note=note,
            covered=is_covered,
            source=source,
            created_at=now,
        ),
    )
    rules = call_limits(policy, started_at)
    account_rules = rules.for_account(customer.seats)
    year, month = fair_use.month_of(started_at, policy.timezone)
    start, end = month_bounds(year, month, policy.timezone)
    caller_seconds, account_seconds = PhoneCalls.covered_seconds_of(
        db, customer.id, start, end, caller
    )
    outcome = CallOutcome(
        call=call,
        customer=customer,
        covered=is_covered,
        long_call=fair_use.is_long_call(seconds, rules),
        month=fair_use.month_label(year, month),
        caller_seconds=caller_seconds,
        caller_status=fair_use.status_for(caller_seconds, rules),
        account_seconds=account_seconds,
        account_status=fair_use.status_for(account_seconds, account_rules),
        limits=rules,
        account_limits=account_rules,
    )
    if is_covered:
        _raise_alerts(db, policy, outcome, now)
    return outcome


def _raise_alerts(db: Session, policy: Policy, outcome: CallOutcome, now: datetime) -> None:
    """The long-call flag, then the caller's month and the account's against the limits."""
    call, customer = outcome.call, outcome.customer
    if outcome.long_call:
        alerts.raise_long_call(db, policy, call, customer, outcome.limits, now)
    alerts.raise_over_limits(
        db,
        policy,
        customer,
        caller=call.caller,
        month=outcome.month,
        seconds=outcome.caller_seconds,
        rules=outcome.limits,
        now=now,
    )
    alerts.raise_over_limits(
        db,
        policy,
        customer,
        caller=None,
        month=outcome.month,
        seconds=outcome.account_seconds,
        rules=outcome.account_limits,
        now=now,
    )


# --- reading the month back -----------------------------------------------------------------


def month_rows(
    db: Session, policy: Policy, customer: Customer, year: int, month: int
) -> list[dict[str, Any]]:
    """The statement's `calls` rows: covered calls per caller against the allowance, then
    calls the plan does not cover (status `not_covered`, no allowance). Calls billed as
    training are left out."""
    start, end = month_bounds(year, month, policy.timezone)
    # A call billed as training is on the statement once, at the training rate
    # (`bot.calls.training`), and out of fair use: not in these rows.
    calls = [c for c in PhoneCalls.in_range(db, customer.id, start, end) if c.billed_as != TRAINING]
    rules = limits(policy.at(start))  # the allowance of the month's version (issue 16)
    rows = []
    for is_covered in (True, False):
        records = [
            CallRecord(c.caller, c.seconds, c.quality) for c in calls if c.covered is is_covered
        ]
        for summary in fair_use.caller_months(records, rules):
            rows.append(
                {
                    "caller": summary.caller,
                    "calls": summary.calls,
                    "seconds": summary.seconds,
                    "long_calls": summary.long_calls,
                    "allowance_minutes": rules.allowance // 60 if is_covered else 0,
                    "status": summary.status if is_covered else Status.NOT_COVERED,
                    "avg_quality": summary.avg_quality,
                }
            )
    return rows


def balance_lines(db: Session, policy: Policy, customer: Customer, now: datetime) -> list[str]:
    """Whether the customer has phone support (plan or add-on), then this month's calls per
    caller, for /balance."""
    lines = [f"Phone support: {describe_phone_support(customer, policy)}."]
    year, month = fair_use.month_of(now, policy.timezone)
    rows = month_rows(db, policy, customer, year, month)
    if not rows:
        return lines
    rules = call_limits(policy, now).for_account(customer.seats)
    lines.append(f"Phone calls in {fair_use.month_label(year, month)}:")
    total = 0
    for row in rows:
        count = plural(row["calls"], "call")
        if row["status"] is Status.NOT_COVERED:
            lines.append(
                f"• {row['caller']}: {count}, {format_call_time(row['seconds'])} "
                "(not covered by the plan)"
            )
            continue
        total += row["seconds"]
        lines.append(
            f"• {row['caller']}: {count}, "
            f"{format_call_time(row['seconds'])} of {format_minutes(row['allowance_minutes'])} — "
            f"{fair_use.describe_status(row['status'])}"
            + (f", {row['long_calls']} long" if row["long_calls"] else "")
        )
    if total:
        lines.append(
            f"Account: {format_call_time(total)} of {format_limit(rules.allowance)} "
            f"— {fair_use.describe_status(fair_use.status_for(total, rules))}."
        )
    return lines


def agent_calls_today(
    db: Session, agent_id: str, tz: ZoneInfo, now: datetime
) -> list[tuple[PhoneCall, str]]:
    """The agent's calls today in their timezone, with each customer's name."""
    today = now.astimezone(tz).date()
    start = datetime.combine(today, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    calls = PhoneCalls.by_agent(db, agent_id, start, end)
    return [(call, call.customer.name) for call in calls]
