"""Corrections of logged time, all from Slack and all audited: `/log undo [<#id>]`,
`/log restore <#id>` (an undo taken back) and `/log edit <#id> <duration>|on <date>|customer
<name>`; and the repeat check that asks before the same `/log` is recorded twice within a
minute.

Every correction of a time entry goes through exactly one of three functions, `undo_entry`,
`restore_entry` and `edit_entry`, and each ends in `_rederive`: the one place where what
follows a correction happens (the day's receipt, the ledger, recorded forfeits, the
low-balance check; the alerts that follow their cause hook in there). A correction never
deletes: an undo marks the entry (`undone_at`), a restore clears the mark, an edit changes
it in place, and each writes an `audit_log` row with who, when and the values before (and
after).

Agents correct their own entries; a manager may correct anyone's (`check_may_correct`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import customers as customer_service
from bot.billing import timelog
from bot.billing.timelog import LogRequest, LogResult
from bot.errors import InputError, NotFound, PermissionDenied
from bot.parsing import parse_name
from bot.policy.model import Policy, provider_today
from bot.roles import Role
from bot.units import format_minutes, format_work_date
from store.models import PhoneCall, TimeEntry
from store.repositories.audit import AuditLog
from store.repositories.core import Customers, lock_customer, lock_customers, lock_key
from store.repositories.time import TimeEntries

SUBJECT = "time_entry"
UNDO = "undo"
RESTORE = "restore"
EDIT = "edit"
# The same command by the same person within this long is asked about before it is
# recorded twice (issue 18 item 6): a double press, a pasted line sent again.
REPEAT_WINDOW = timedelta(seconds=60)


def check_may_correct(owner: str, actor: str, role: Role | str, what: str) -> None:
    """An agent corrects only what they recorded themselves; a manager corrects anyone's."""
    if owner != actor and Role(role) is not Role.MANAGER:
        raise PermissionDenied(
            f"{what} is <@{owner}>'s; only they or a manager can correct it. Nothing changed."
        )


def snapshot(entry: TimeEntry) -> dict[str, Any]:
    """What an entry was, for the audit trail."""
    return {
        "customer": entry.customer.name,
        "customer_id": entry.customer_id,
        "agent_id": entry.agent_id,
        "work_date": entry.work_date.isoformat(),
        "minutes": entry.minutes,
        "kind": entry.kind,
        "activity": entry.activity,
        "note": entry.note,
    }


@dataclass(frozen=True)
class EntryEdit:
    """What `/log edit <#id> …` changes; None leaves that part as it is."""

    minutes: int | None = None
    work_date: date | None = None
    customer: str | None = None


def _once(value: object, what: str) -> None:
    if value is not None:
        raise InputError(f"{what} is given twice")


def parse_edit(tokens: list[str], policy: Policy, today: date) -> EntryEdit:
    """`<duration>`, `on <date>` and `customer <name>`, in any order, each at most once.
    `today` is the provider's billing day, as for `/log … on <date>`."""
    if not tokens:
        raise InputError("say what to change: a duration, `on <date>` or `customer <name>`")
    minutes: int | None = None
    work_date: date | None = None
    customer: str | None = None
    words = list(tokens)
    while words:
        word = words.pop(0)
        lower = word.lower()
        if lower in ("on", "customer"):
            if not words:
                raise InputError(f"`{word}` needs a {'date' if lower == 'on' else 'name'}")
            value = words.pop(0)
            if lower == "on":
                _once(work_date, "a date")
                work_date = timelog.parse_work_date(value, policy, today)
            else:
                _once(customer, "a customer")
                customer = parse_name(value)
        else:
            _once(minutes, "a duration")
            minutes = timelog.parse_entry_minutes(word, policy)
    return EntryEdit(minutes, work_date, customer)


def mark_undone(
    db: Session,
    row: TimeEntry | PhoneCall,
    undone_at: datetime | None,
    *,
    subject: str,
    verb: str,
    actor: str,
    now: datetime,
    before: dict[str, Any],
) -> None:
    """An undo (`undone_at` now) or a restore (None) of an entry or a call, audited with
    what it was (`before`): the one write behind `/log undo|restore` and `/call undo|restore`."""
    row.undone_at = undone_at
    db.flush()
    AuditLog.record(
        db,
        actor=actor,
        action=f"{subject}.{verb}",
        subject_kind=subject,
        subject_id=row.id,
        at=now,
        customer_id=row.customer_id,
        before=before,
    )


def _entry(db: Session, entry_id: int | None, actor: str) -> TimeEntry:
    """The entry `#id` names, locked; without an id, the actor's last live entry."""
    if entry_id is None:
        entry = TimeEntries.last_live_for_agent(db, actor)
        if entry is None:
            raise InputError("you have nothing logged to undo")
        return entry
    found = TimeEntries.find_locked(db, entry_id)
    if found is None:
        raise NotFound(f"there is no time entry #{entry_id} (`/log list` shows your ids)")
    if found.undone_at is not None:
        raise InputError(f"#{found.id} was already undone; nothing changed")
    return found


def undo_entry(
    db: Session,
    policy: Policy,
    entry_id: int | None,
    *,
    actor: str,
    role: Role | str,
    now: datetime,
) -> LogResult:
    """Take back entry `#entry_id` (None: the actor's last live entry). It is kept, marked
    undone, and the correction is audited; the customer's day and hours are re-derived."""
    entry = _entry(db, entry_id, actor)
    check_may_correct(entry.agent_id, actor, role, f"#{entry.id}")
    customer = entry.customer
    lock_customer(db, customer.id)
    mark_undone(
        db, entry, now, subject=SUBJECT, verb=UNDO, actor=actor, now=now, before=snapshot(entry)
    )
    by = f" by <@{actor}>" if actor != entry.agent_id else ""
    cause = f"{format_minutes(entry.minutes)} logged by <@{entry.agent_id}> was undone{by}"
    return _rederive(db, policy, entry, now, cause=cause)


def restore_entry(
    db: Session,
    policy: Policy,
    entry_id: int,
    *,
    actor: str,
    role: Role | str,
    now: datetime,
) -> LogResult:
    """Take back the undo of entry `#entry_id`: it counts again, with the checks `/log`
    makes (the customer takes work, a day holds at most 24 hours per agent). Audited; the
    customer's day and hours are re-derived, and what the undo withdrew is raised again."""
    entry = TimeEntries.find_locked(db, entry_id)
    if entry is None:
        raise NotFound(f"there is no time entry #{entry_id} (`/log list` shows your ids)")
    check_may_correct(entry.agent_id, actor, role, f"#{entry.id}")
    if entry.undone_at is None:
        raise InputError(f"#{entry.id} is not undone; nothing changed")
    customer_service.refuse_archived(entry.customer)
    # The day cap is the agent's: its lock before the customer's, as /log takes them.
    lock_key(db, "agent-day", entry.agent_id, entry.work_date.isoformat())
    lock_customer(db, entry.customer_id)
    whose = "you" if entry.agent_id == actor else f"<@{entry.agent_id}>"
    today = provider_today(policy, now)
    timelog.check_day_cap(
        db, entry.agent_id, entry.work_date, entry.minutes, whose=whose, today=today
    )
    before = snapshot(entry) | {"undone_at": entry.undone_at.isoformat()}
    mark_undone(db, entry, None, subject=SUBJECT, verb=RESTORE, actor=actor, now=now, before=before)
    return _rederive(db, policy, entry, now, cause=f"#{entry.id} was restored by <@{actor}>")


@dataclass(frozen=True)
class EntryEdited:
    """An edit's outcome: the entry as it is now, with its day re-derived; what it was; and
    the day it left (another day or customer), re-derived without it."""

    result: LogResult
    before: dict[str, Any]
    left: LogResult | None


def edit_entry(
    db: Session,
    policy: Policy,
    entry_id: int,
    change: EntryEdit,
    *,
    actor: str,
    role: Role | str,
    now: datetime,
) -> EntryEdited:
    """Change entry `#entry_id`'s duration, date or customer, with the checks `/log` makes
    (a day holds at most 24 hours per agent). Audited; both days are re-derived."""
    entry = _entry(db, entry_id, actor)
    check_may_correct(entry.agent_id, actor, role, f"#{entry.id}")
    was = entry.customer
    now_for = customer_service.customer_for_work(db, change.customer) if change.customer else was
    minutes = change.minutes if change.minutes is not None else entry.minutes
    work_date = change.work_date or entry.work_date
    if (work_date, now_for.id) != (entry.work_date, entry.customer_id):  # as /log refuses
        customer_service.check_since_added(now_for, work_date, policy)
    # The day cap is the agent's: its lock before the customers' (store.repositories.core
    # lock_key's order), as /log takes it.
    lock_key(db, "agent-day", entry.agent_id, work_date.isoformat())
    lock_customers(db, [was.id, now_for.id])
    if (minutes, work_date, now_for.id) == (entry.minutes, entry.work_date, entry.customer_id):
        raise InputError(
            f"#{entry.id} is already {timelog.describe_entry(entry, was.name, today=provider_today(policy, now))}; nothing changed"
        )
    whose = "you" if entry.agent_id == actor else f"<@{entry.agent_id}>"
    timelog.check_day_cap(db, entry.agent_id, work_date, minutes, excluding=entry, whose=whose)
    before = snapshot(entry)
    old_day = _as_it_was(entry, now)
    entry.minutes, entry.work_date, entry.customer_id = minutes, work_date, now_for.id
    entry.customer = now_for
    db.flush()
    AuditLog.record(
        db,
        actor=actor,
        action=f"{SUBJECT}.{EDIT}",
        subject_kind=SUBJECT,
        subject_id=entry.id,
        at=now,
        customer_id=was.id,  # the customer it was for; `after` names the one it is for
        before=before,
        after=snapshot(entry),
    )
    cause = f"#{entry.id} was edited by <@{actor}>"
    result = _rederive(db, policy, entry, now, cause=cause)
    left = None
    if (was.id, old_day.work_date) != (now_for.id, work_date):
        left = _rederive(db, policy, old_day, now, cause=cause)
    return EntryEdited(result, before, left)


def _as_it_was(entry: TimeEntry, now: datetime) -> TimeEntry:
    """A detached copy of the entry before the edit, marked gone from its old day: what the
    old day's receipt is re-derived for. Never added to the session."""
    return TimeEntry(
        id=entry.id,
        customer_id=entry.customer_id,
        agent_id=entry.agent_id,
        work_date=entry.work_date,
        minutes=entry.minutes,
        kind=entry.kind,
        activity=entry.activity,
        note=entry.note,
        created_at=entry.created_at,
        undone_at=now,
    )


def _rederive(
    db: Session, policy: Policy, entry: TimeEntry, now: datetime, *, cause: str
) -> LogResult:
    """What follows every correction of a time entry, in the correction's transaction: the
    entry's customer-day and hours re-derived from the live entries (billing is always
    derived, never stored), recorded forfeits kept true, and the low-balance alert kept
    true to the balance: withdrawn in place, naming the correction (`cause`), when it takes
    the balance back over the threshold; raised (again) when it takes it under."""
    customer = Customers.get(db, entry.customer_id)
    return timelog.entry_result(db, policy, customer, entry, now, cause=cause)


def find_repeat(
    db: Session, request: LogRequest, *, agent_id: str, now: datetime
) -> TimeEntry | None:
    """The agent's live entry, recorded within `REPEAT_WINDOW`, that `request` would record
    again: the same customer, minutes, kind, activity, day and note (the same `/log` text,
    as it reads). None: not a repeat. Takes the agent-day lock `log_time` takes, so two
    identical `/log`s at once are serialised: the second sees the first and is asked about."""
    lock_key(db, "agent-day", agent_id, request.work_date.isoformat())
    customer = request.customer.lower()
    wanted = (
        request.minutes,
        str(request.kind),
        request.activity,
        request.work_date,
        request.note,
    )
    for entry in TimeEntries.recent_for_agent(db, agent_id, now - REPEAT_WINDOW):
        got = (entry.minutes, entry.kind, entry.activity, entry.work_date, entry.note)
        if got == wanted and entry.customer.name == customer:
            return entry
    return None


def describe_change(before: dict[str, Any], entry: TimeEntry, today: date | None = None) -> str:
    """`was 3h for acme on Fri 20 Nov`: the parts an edit changed, as they were."""
    parts = []
    if before["minutes"] != entry.minutes:
        parts.append(format_minutes(before["minutes"]))
    if before["customer_id"] != entry.customer_id:
        parts.append(f"for {before['customer']}")
    if before["work_date"] != entry.work_date.isoformat():
        parts.append(f"on {format_work_date(date.fromisoformat(before['work_date']), today)}")
    return "was " + " ".join(parts)
