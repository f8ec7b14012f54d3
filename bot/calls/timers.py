"""Call timers (seed 000): start, stop, keep running and discard, and the forgotten-timer rule.

`start_timer`, `stop_timer`, `keep_running` and `discard_timer` are the operations behind
`/timer` and its buttons; stopping records the call through `bot.calls.calls.record`.
`timer_forgotten_rule` is the clock's sweep that DMs an agent about a timer left running
longer than `timers.forgotten_after`, at most once per `timers.remind_every`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.alerts.outbox import raise_alert, update_alert
from bot.blocks import actions, button, section
from bot.calls.calls import CallOutcome, CallSource, TimerRunning, check_note, record
from bot.calls.fair_use import format_running
from bot.parsing import InputError, format_duration
from bot.policy.model import Policy
from bot.text import is_digits
from store.models import CallTimer, Customer
from store.repositories.calls import CallTimers
from store.repositories.core import Customers

# Block Kit action ids of the reminder's buttons, shared with handlers/actions/calls.py.
ACTION_TIMER_STOP = "timer_stop"
ACTION_TIMER_KEEP = "timer_keep_running"
ACTION_TIMER_DISCARD = "timer_discard"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def timer_token(started_at: datetime) -> str:
    """Names one run of a timer in button values, so an old button can't touch a new timer.

    Whole microseconds since the epoch, in integer arithmetic so it round-trips exactly."""
    return str((started_at - _EPOCH) // _MICROSECOND)


def token_instant(token: str) -> datetime:
    if not is_digits(token) or len(token) > 17:  # microseconds up to about the year 5000
        raise InputError("that button no longer belongs to a timer")
    return _EPOCH + int(token) * _MICROSECOND


@dataclass(frozen=True)
class RunningTimer:
    customer: str
    caller: str
    started_at: datetime
    elapsed_seconds: int
    note: str | None


def timer_status(db: Session, agent_id: str, now: datetime) -> RunningTimer | None:
    timer = CallTimers.for_agent(db, agent_id)
    return _running(timer, now) if timer is not None else None


def _running(timer: CallTimer | _Taken, now: datetime) -> RunningTimer:
    return RunningTimer(
        customer=timer.customer.name,
        caller=timer.caller,
        started_at=timer.started_at,
        elapsed_seconds=max(0, int((now - timer.started_at).total_seconds())),
        note=timer.note,
    )


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
    values: dict[str, Any] = {
        "agent_id": agent_id,
        "customer_id": customer.id,
        "caller": caller,
        "note": note,
        "started_at": now,
        "next_reminder_at": now + policy.timers.forgotten_after,
        "reminders_sent": 0,
    }
    started = CallTimers.start(db, values)
    running = timer_status(db, agent_id, now)
    if running is None:
        # Only when another timer was running and was stopped between the insert and the read.
        raise TimerRunning("your running timer was stopped just now; start this one again")
    if not started:
        raise TimerRunning(
            f"your timer for {running.caller} ({running.customer}) is already running "
            f"({format_running(running.elapsed_seconds)}); `/timer stop` or `/timer discard` "
            "it first"
        )
    return running


@dataclass(frozen=True)
class _Taken:
    """A timer taken off the agent (its row deleted): what it was."""

    agent_id: str
    customer: Customer
    caller: str
    note: str | None
    started_at: datetime
    reminders_sent: int


def _take(
    db: Session, agent_id: str, started_at: datetime | None, *, lock: bool = False
) -> _Taken | None:
    """Delete the agent's timer atomically (see CallTimers.take); None if none was running.
    `lock`: read its customer locked, for a call about to be recorded (record() locks it)."""
    taken = CallTimers.take(db, agent_id, started_at)
    if taken is None:
        return None
    return _Taken(
        agent_id=agent_id,
        # The timer's foreign key keeps its customer; get_one raises if that ever broke.
        # Locked (Postgres) when a call follows: record() then needs no second read of it.
        customer=Customers.lock_and_get(db, taken["customer_id"])
        if lock
        else db.get_one(Customer, taken["customer_id"]),
        caller=taken["caller"],
        note=taken["note"],
        started_at=taken["started_at"],
        reminders_sent=taken["reminders_sent"],
    )


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
    taken = _take(db, agent_id, started_at, lock=True)
    if taken is None:
        return None
    seconds = int((now - taken.started_at).total_seconds())
    if seconds < 1:
        raise InputError("the timer has run less than a second; `/timer discard` it instead")
    if seconds > policy.fair_use.max_call.total_seconds():
        raise InputError(
            f"the timer has run {format_duration(timedelta(seconds=seconds))}, longer than the "
            f"longest call allowed ({format_duration(policy.fair_use.max_call)}): "
            "`/timer discard` it and record the real length with `/call`"
        )
    notes = " — ".join(n for n in (taken.note, note) if n)
    outcome = record(
        db,
        policy,
        customer=taken.customer,
        caller=taken.caller,
        agent_id=agent_id,
        started_at=taken.started_at,
        seconds=seconds,
        quality=quality,
        note=notes or None,
        source=CallSource.TIMER,
        now=now,
    )
    _close_reminders(db, taken, now, ":white_check_mark: Timer stopped. " + outcome.summary())
    return outcome


def discard_timer(
    db: Session, agent_id: str, now: datetime, started_at: datetime | None = None
) -> RunningTimer | None:
    """Drop the agent's timer without recording a call; None if none was running.
    `started_at` (from a button) makes an old button unable to discard a newer timer."""
    taken = _take(db, agent_id, started_at)
    if taken is None:
        return None
    _close_reminders(db, taken, now, ":wastebasket: Timer discarded; no call was recorded.")
    return _running(taken, now)


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
    return timer_status(db, agent_id, now)


# --- the forgotten-timer rule ---------------------------------------------------------------


def _past_max_call(policy: Policy, started_at: datetime, now: datetime) -> bool:
    """A timer this old can no longer be stopped as a call (stop_timer refuses it)."""
    return now - started_at > policy.fair_use.max_call


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


def _close_reminders(db: Session, taken: _Taken, now: datetime, text: str) -> None:
    """A stopped or discarded timer's latest reminder (if any) says what became of it."""
    if taken.reminders_sent:
        _close_reminder(db, taken.agent_id, taken.started_at, taken.reminders_sent, now, text)


def timer_forgotten_rule(db: Session, policy: Policy, now: datetime) -> int:
    """DM the agent about a timer running longer than forgotten_after, at most once per
    remind_every; reads only timers whose next_reminder_at is due.

    Once a timer has run past fair_use.max_call it cannot be stopped as a call, so its
    reminder is the last one: it offers Discard (not Stop or Keep running), says to record
    the real call with /call, and sets next_reminder_at to NULL so no more follow."""
    raised = 0
    for timer in CallTimers.due_reminders(db, now):
        number = timer.reminders_sent + 1
        final = _past_max_call(policy, timer.started_at, now)
        text, buttons = _reminder(policy, timer, now, final=final)
        raise_alert(
            db,
            policy,
            key=_reminder_key(timer.agent_id, timer.started_at, number),
            kind="timer_forgotten",
            customer=timer.customer,
            to=timer.agent_id,
            text=text,
            now=now,
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


def _reminder(
    policy: Policy, timer: CallTimer, now: datetime, *, final: bool
) -> tuple[str, list[dict[str, Any]]]:
    """The reminder's text and buttons: Stop or Keep running, or, past the longest call,
    only Discard."""
    customer = timer.customer
    elapsed = format_duration(timedelta(seconds=int((now - timer.started_at).total_seconds())))
    token = timer_token(timer.started_at)
    running = f":alarm_clock: Your call timer for {timer.caller} ({customer.name}) has been running"
    if final:
        text = (
            f"{running} {elapsed}, past the longest call allowed "
            f"({format_duration(policy.fair_use.max_call)}), so it can't be stopped as a "
            f"call. Discard it and record the real call with `/call <duration> "
            f"{customer.name} {timer.caller} [on <date>]`. This is the last reminder."
        )
        return text, [button(ACTION_TIMER_DISCARD, "Discard", token, style="danger")]
    return f"{running} {elapsed}. Still on the call?", [
        button(ACTION_TIMER_STOP, "Stop", token, style="danger"),
        button(ACTION_TIMER_KEEP, "Keep running", token),
    ]
