"""Call timers and phone calls: the fair-use rules of seed 000 applied to what agents record.

`start_timer`, `stop_timer`, `discard_timer` and `record_call` are the operations behind
`/timer` and `/call` (and the buttons); each runs in the caller's transaction and raises
its alerts through the outbox in that same transaction. `timer_forgotten_rule` is the
clock's sweep for timers left running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.alerts.outbox import alert_channel, raise_alert, update_alert
from bot.blocks import actions, button, section
from bot.calls import fair_use
from bot.calls.fair_use import CallRecord, Limits, Status, format_call_time, format_limit
from bot.errors import Conflict
from bot.parsing import InputError, format_duration, month_bounds
from bot.policy.model import Policy
from store.models import Customer, PhoneCall
from store.repositories.calls import CallTimers, PhoneCalls, lock_customer

MAX_NOTE = 500
# How far back `/call … on <date>` may reach, in days before the agent's today. A call from
# longer ago would count in a fair-use month long since settled and post its long-call and
# fair-use alerts now; a year (and a day, for leap years) covers any real correction.
MAX_CALL_AGE_DAYS = 366
ACCOUNT = "@account"  # stands for "all callers" in alert keys; never a valid caller name

# Block Kit action ids, shared with handlers/actions/calls.py.
ACTION_BOOK_TRAINING = "fair_use_book_training"
ACTION_TIMER_STOP = "timer_stop"
ACTION_TIMER_KEEP = "timer_keep_running"
ACTION_TIMER_DISCARD = "timer_discard"


class TimerRunning(Conflict):
    """A second /timer start: says which timer is running."""


def limits(policy: Policy) -> Limits:
    return Limits.from_policy(policy.fair_use)


def covered(policy: Policy, customer: Customer) -> bool:
    plan = policy.plans.get(customer.plan)
    return bool(plan and plan.phone_support)


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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def timer_token(started_at: datetime) -> str:
    """Names one run of a timer in button values, so an old button can't touch a new timer.

    Whole microseconds since the epoch, in integer arithmetic so it round-trips exactly."""
    return str((started_at - _EPOCH) // _MICROSECOND)


def token_instant(token: str) -> datetime:
    if not token.isdigit() or len(token) > 20:
        raise InputError("that button no longer belongs to a timer")
    return _EPOCH + int(token) * _MICROSECOND


# --- timers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningTimer:
    customer: str
    caller: str
    started_at: datetime
    elapsed_seconds: int
    note: str | None


def _running(db: Session, agent_id: str, now: datetime) -> RunningTimer | None:
    timer = CallTimers.for_agent(db, agent_id)
    if timer is None:
        return None
    customer = timer.customer
    return RunningTimer(
        customer=customer.name,
        caller=timer.caller,
        started_at=timer.started_at,
        elapsed_seconds=max(0, int((now - timer.started_at).total_seconds())),
        note=timer.note,
    )


def timer_status(db: Session, agent_id: str, now: datetime) -> RunningTimer | None:
    return _running(db, agent_id, now)


def start_timer(
    db: Session,
    policy: Policy,
    *,
    agent_id: str,
    customer: Customer,
    caller: str,
    note: str | None,
    now: datetime,
) -> RunningTimer:
    note = check_note(note)
    started = CallTimers.start(
        db,
        {
            "agent_id": agent_id,
            "customer_id": customer.id,
            "caller": caller,
            "note": note,
            "started_at": now,
            "next_reminder_at": now + policy.timers.forgotten_after,
            "reminders_sent": 0,
        },
    )
    running = _running(db, agent_id, now)
    if not started:
        raise TimerRunning(
            f"your timer for {running.caller} ({running.customer}) is already running "
            f"({format_call_time(running.elapsed_seconds)}); `/timer stop` or `/timer discard` "
            "it first"
        )
    return running


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
                f"{head}. :no_entry_sign: Phone support is *not covered* by the "
                f"{self.customer.plan} plan: the call is kept on record but does not count "
                "towards fair use."
            )
        long = (
            f" — a *long call* (over {format_limit(self.limits.long_call)}), possibly training"
            if self.long_call
            else ""
        )
        allowance = format_limit(self.limits.allowance)
        lines = [
            f"{head}{long}.",
            f"{self.call.caller}: {format_call_time(self.caller_seconds)} this month "
            f"({self.month}) of {allowance} allowance — "
            f"{fair_use.describe_status(self.caller_status)}.",
        ]
        if self.account_status is not Status.WITHIN:
            lines.append(
                f"{self.customer.name} account: {format_call_time(self.account_seconds)} of "
                f"{format_limit(self.account_limits.allowance)} "
                f"({self.customer.seats} seat{'s' if self.customer.seats != 1 else ''}) — "
                f"{fair_use.describe_status(self.account_status)}."
            )
        return "\n".join(lines)


def stop_timer(
    db: Session,
    policy: Policy,
    *,
    agent_id: str,
    quality: int | None,
    note: str | None,
    now: datetime,
    started_at: datetime | None = None,
) -> CallOutcome | None:
    """Stop the agent's timer and record the call; None if no timer was running."""
    note = check_note(note)
    taken = CallTimers.take(db, agent_id, started_at)
    if taken is None:
        return None
    seconds = int((now - taken["started_at"]).total_seconds())
    if seconds < 1:
        raise InputError("the timer has run less than a second; `/timer discard` it instead")
    if seconds > policy.fair_use.max_call.total_seconds():
        raise InputError(
            f"the timer has run {format_duration(timedelta(seconds=seconds))}, longer than the "
            f"longest call allowed ({format_duration(policy.fair_use.max_call)}): "
            "`/timer discard` it and record the real length with `/call`"
        )
    customer = db.get(Customer, taken["customer_id"])
    notes = " — ".join(n for n in (taken["note"], note) if n)
    outcome = _record(
        db,
        policy,
        customer=customer,
        caller=taken["caller"],
        agent_id=agent_id,
        started_at=taken["started_at"],
        seconds=seconds,
        quality=quality,
        note=notes or None,
        source="timer",
        now=now,
    )
    if taken["reminders_sent"]:
        _close_reminder(
            db,
            agent_id,
            taken["started_at"],
            taken["reminders_sent"],
            now,
            ":white_check_mark: Timer stopped. " + outcome.summary(),
        )
    return outcome


def discard_timer(
    db: Session, agent_id: str, now: datetime, started_at: datetime | None = None
) -> RunningTimer | None:
    """Drop the agent's timer without recording a call; None if none was running.
    `started_at` (from a button) makes an old button unable to discard a newer timer."""
    taken = CallTimers.take(db, agent_id, started_at)
    if taken is None:
        return None
    running = RunningTimer(
        customer=db.get(Customer, taken["customer_id"]).name,
        caller=taken["caller"],
        started_at=taken["started_at"],
        elapsed_seconds=max(0, int((now - taken["started_at"]).total_seconds())),
        note=taken["note"],
    )
    if taken["reminders_sent"]:
        _close_reminder(
            db,
            agent_id,
            taken["started_at"],
            taken["reminders_sent"],
            now,
            ":wastebasket: Timer discarded; no call was recorded.",
        )
    return running


def keep_running(
    db: Session, policy: Policy, *, agent_id: str, started_at: datetime, now: datetime
) -> RunningTimer | None:
    """`Keep running`: the next reminder comes one remind_every from now. A timer past the
    longest call has had its final reminder; a stale Keep running can't start them again."""
    timer = CallTimers.for_agent(db, agent_id)
    if timer is None or timer.started_at != started_at:
        return None
    if _past_max_call(policy, timer.started_at, now):
        raise InputError(
            "that timer has run longer than the longest call allowed "
            f"({format_duration(policy.fair_use.max_call)}): `/timer discard` it and record "
            "the real call with `/call`"
        )
    timer = CallTimers.snooze(db, agent_id, started_at, now + policy.timers.remind_every)
    if timer is None or timer.started_at != started_at:
        return None
    return _running(db, agent_id, now)


# --- calls after the fact -------------------------------------------------------------------


def call_start(*, seconds: int, on: date | None, provider_tz: ZoneInfo, now: datetime) -> datetime:
    """When a call recorded with /call began.

    Without `on` it just ended. With `on`, it is placed within that date in the PROVIDER's
    timezone, so it counts in the provider's month of the date the agent typed (whatever the
    agent's own timezone): an earlier date at 12:00 provider time; the provider's today (or
    the agent's today, a date ahead of the provider's) ends now but never starts before
    that day's start in provider time."""
    if on is None:
        return now - timedelta(seconds=seconds)
    if on < now.astimezone(provider_tz).date():
        return datetime.combine(on, time(12, 0), tzinfo=provider_tz).astimezone(UTC)
    day_start = datetime.combine(on, time(0), tzinfo=provider_tz).astimezone(UTC)
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
    today = now.astimezone(user_tz).date()
    if on is not None and on > today:
        raise InputError("a call cannot be recorded for a future date")
    if on is not None and on < today - timedelta(days=MAX_CALL_AGE_DAYS):
        raise InputError(
            f"a call can be recorded at most {MAX_CALL_AGE_DAYS} days back, not on {on:%Y-%m-%d}"
        )
    note = check_note(note)
    return _record(
        db,
        policy,
        customer=customer,
        caller=caller,
        agent_id=agent_id,
        started_at=call_start(seconds=seconds, on=on, provider_tz=policy.timezone, now=now),
        seconds=seconds,
        quality=quality,
        note=note,
        source="manual",
        now=now,
    )


def _record(
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
    source: str,
    now: datetime,
) -> CallOutcome:
    lock_customer(db, customer.id)
    is_covered = covered(policy, customer)
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
    rules = limits(policy)
    account_rules = rules.for_account(customer.seats)
    year, month = fair_use.month_of(started_at, policy.timezone)
    label = fair_use.month_label(year, month)
    start, end = month_bounds(year, month, policy.timezone)
    caller_seconds = PhoneCalls.covered_seconds(db, customer.id, start, end, caller)
    account_seconds = PhoneCalls.covered_seconds(db, customer.id, start, end)
    outcome = CallOutcome(
        call=call,
        customer=customer,
        covered=is_covered,
        long_call=fair_use.is_long_call(seconds, rules),
        month=label,
        caller_seconds=caller_seconds,
        caller_status=fair_use.status_for(caller_seconds, rules),
        account_seconds=account_seconds,
        account_status=fair_use.status_for(account_seconds, account_rules),
        limits=rules,
        account_limits=account_rules,
    )
    if is_covered:
        _raise_call_alerts(db, policy, outcome, now)
    return outcome


# --- alerts ---------------------------------------------------------------------------------


def _raise_call_alerts(db: Session, policy: Policy, outcome: CallOutcome, now: datetime) -> None:
    customer, call = outcome.customer, outcome.call
    channel = alert_channel(customer, policy.alert_channel)
    if outcome.long_call:
        text = (
            f":telephone_receiver: *Long call*: {call.caller} at *{customer.name}* talked for "
            f"{format_call_time(call.seconds)} (over "
            f"{format_limit(outcome.limits.long_call)}) — this may be training rather "
            f"than support. Training sessions are {policy.training_rate} {policy.currency} "
            "per hour."
        )
        raise_alert(
            db,
            key=f"long_call:{call.id}",
            kind="long_call",
            channel=channel,
            text=text,
            now=now,
            customer_id=customer.id,
            data={"call_id": call.id, "caller": call.caller, "seconds": call.seconds},
            blocks=[
                section(text),
                actions(button(ACTION_BOOK_TRAINING, "Book training", customer.name)),
            ],
        )
    pairs = (
        (
            call.caller,
            outcome.caller_seconds,
            outcome.limits,
            f"{call.caller} at *{customer.name}*",
        ),
        (
            ACCOUNT,
            outcome.account_seconds,
            outcome.account_limits,
            f"the *{customer.name}* account ({customer.seats} seat"
            f"{'s' if customer.seats != 1 else ''}, all callers)",
        ),
    )
    for who, seconds, rules, label in pairs:
        used = format_call_time(seconds)
        if seconds > rules.allowance:
            raise_alert(
                db,
                key=f"fair_use_allowance:{customer.id}:{who}:{outcome.month}",
                kind="fair_use_allowance",
                channel=channel,
                text=(
                    f":warning: *Phone allowance used*: {label} has had {used} of phone support "
                    f"in {outcome.month}, over the {format_limit(rules.allowance)} "
                    "allowance."
                ),
                now=now,
                customer_id=customer.id,
                data={"caller": who, "month": outcome.month, "seconds": seconds},
            )
        if seconds > rules.review:
            raise_alert(
                db,
                key=f"fair_use_review:{customer.id}:{who}:{outcome.month}",
                kind="fair_use_review",
                channel=channel,
                text=(
                    f":rotating_light: *Fair use review*: {label} has had {used} of phone "
                    f"support in {outcome.month}, over the "
                    f"{format_limit(rules.review)} review limit. Flagged for review."
                ),
                now=now,
                customer_id=customer.id,
                data={"caller": who, "month": outcome.month, "seconds": seconds},
            )


def _reminder_key(agent_id: str, started_at: datetime, number: int) -> str:
    return f"timer_forgotten:{agent_id}:{timer_token(started_at)}:{number}"


def _close_reminder(
    db: Session,
    agent_id: str,
    started_at: datetime,
    number: int,
    now: datetime,
    text: str = ":information_source: That call timer was reminded again later.",
) -> None:
    """Take the buttons off a reminder once it is answered or superseded."""
    update_alert(
        db, _reminder_key(agent_id, started_at, number), state="closed", text=text, now=now
    )


def _past_max_call(policy: Policy, started_at: datetime, now: datetime) -> bool:
    """A timer this old can no longer be stopped as a call (stop_timer refuses it)."""
    return now - started_at > policy.fair_use.max_call


def timer_forgotten_rule(db: Session, policy: Policy, now: datetime) -> int:
    """DM the agent about a timer running longer than forgotten_after, at most once per
    remind_every; reads only timers whose next_reminder_at is due.

    Once a timer has run past fair_use.max_call it cannot be stopped as a call, so its
    reminder is the last one: it offers Discard (not Stop or Keep running), says to record
    the real call with /call, and sets next_reminder_at to NULL so no more follow."""
    raised = 0
    for timer in CallTimers.due_reminders(db, now):
        customer = timer.customer
        elapsed = timedelta(seconds=int((now - timer.started_at).total_seconds()))
        number = timer.reminders_sent + 1
        token = timer_token(timer.started_at)
        final = _past_max_call(policy, timer.started_at, now)
        if final:
            text = (
                f":alarm_clock: Your call timer for {timer.caller} ({customer.name}) has been "
                f"running {format_duration(elapsed)}, past the longest call allowed "
                f"({format_duration(policy.fair_use.max_call)}), so it can't be stopped as a "
                f"call. Discard it and record the real call with `/call <duration> "
                f"{customer.name} {timer.caller} [on <date>]`. This is the last reminder."
            )
            buttons = [button(ACTION_TIMER_DISCARD, "Discard", token, style="danger")]
        else:
            text = (
                f":alarm_clock: Your call timer for {timer.caller} ({customer.name}) has been "
                f"running {format_duration(elapsed)}. Still on the call?"
            )
            buttons = [
                button(ACTION_TIMER_STOP, "Stop", token, style="danger"),
                button(ACTION_TIMER_KEEP, "Keep running", token),
            ]
        raise_alert(
            db,
            key=_reminder_key(timer.agent_id, timer.started_at, number),
            kind="timer_forgotten",
            channel=timer.agent_id,
            text=text,
            now=now,
            customer_id=customer.id,
            data={"reminder": number, "final": final},
            blocks=[section(text), actions(*buttons)],
        )
        if number > 1:
            _close_reminder(db, timer.agent_id, timer.started_at, number - 1, now)
        timer.reminders_sent = number
        timer.next_reminder_at = None if final else now + policy.timers.remind_every
        raised += 1
    db.flush()
    return raised


# --- reports --------------------------------------------------------------------------------


def month_rows(
    db: Session, policy: Policy, customer: Customer, year: int, month: int
) -> list[dict[str, Any]]:
    """The statement's `calls` rows: covered calls per caller against the allowance, then
    calls the plan does not cover (status `not_covered`, no allowance)."""
    start, end = month_bounds(year, month, policy.timezone)
    calls = PhoneCalls.in_range(db, customer.id, start, end)
    rules = limits(policy)
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
                    "status": str(summary.status) if is_covered else "not_covered",
                    "avg_quality": summary.avg_quality,
                }
            )
    return rows


def balance_lines(db: Session, policy: Policy, customer: Customer, now: datetime) -> list[str]:
    """This month's calls per caller, for /balance."""
    year, month = fair_use.month_of(now, policy.timezone)
    rows = month_rows(db, policy, customer, year, month)
    if not rows:
        return []
    rules = limits(policy).for_account(customer.seats)
    lines = [f"Phone calls in {fair_use.month_label(year, month)}:"]
    total = 0
    for row in rows:
        if row["status"] == "not_covered":
            lines.append(
                f"• {row['caller']}: {row['calls']} call{'s' if row['calls'] != 1 else ''}, "
                f"{format_call_time(row['seconds'])} (not covered by the plan)"
            )
            continue
        total += row["seconds"]
        lines.append(
            f"• {row['caller']}: {row['calls']} call{'s' if row['calls'] != 1 else ''}, "
            f"{format_call_time(row['seconds'])} of {row['allowance_minutes']}m — "
            f"{fair_use.describe_status(Status(row['status']))}"
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
