"""Logged support time: `/log`, its receipts, and the billed days it feeds the ledger (undo and
edit: `bot.billing.corrections`).

An entry is minutes of work for a customer on a calendar date, either 1-on-1 (billable)
or general support (never billed). Nothing about billing is stored with an entry: the day's
rounding (``bot.billing.daily_receipts``) and the drawdown from hour blocks
(``bot.ledger``) are derived from the live entries every time, so a back-dated entry or an
undo recomputes them consistently.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict

from sqlalchemy.orm import Session

from bot import customers as customer_service
from bot.billing.blocks import Charge
from bot.billing.drawdown import raise_low_balance_alert, sync_recorded_forfeits
from bot.billing.ledger import Ledger, ledger_for
from bot.billing.rounding import ADHOC_DAY_SOURCE, DayReceipt, SupportKind, daily_receipts
from bot.parsing import (
    InputError,
    check_days_back,
    parse_date,
    parse_duration,
    take_date,
    take_duration,
)
from bot.policy.model import Policy, provider_today
from bot.policy.rounding import RoundingRule
from bot.units import format_minutes, format_work_date, overage_amount
from store.models import Customer, TimeEntry
from store.repositories.core import HourBlocks, lock_customer, lock_key
from store.repositories.time import TimeEntries

MAX_NOTE = 1000
KIND_WORDS = {
    "1on1": SupportKind.ONE_ON_ONE,
    "1-on-1": SupportKind.ONE_ON_ONE,
    "1:1": SupportKind.ONE_ON_ONE,
    "general": SupportKind.GENERAL,
}
KIND_LABELS = {SupportKind.ONE_ON_ONE: "1-on-1", SupportKind.GENERAL: "general"}
# Words that are clearly an attempt at a kind (2on1, 1to1, 1:2) rather than a note.
_KIND_LIKE = re.compile(r"^\d+(?:on|-on-|:|to|-to-)\d+$", re.ASCII)
_DATE_LIKE = re.compile(r"^\d", re.ASCII)
MINUTES_PER_DAY = 24 * 60  # one person cannot log more than a day into a day
_QUOTES = {'"': '"', "\u201c": "\u201d", "'": "'", "\u2018": "\u2019"}


@dataclass(frozen=True)
class LogRequest:
    """A parsed `/log <duration> <customer> [kind] [activity] [on <date>] [note…]`."""

    minutes: int
    customer: str
    kind: SupportKind
    activity: str | None
    work_date: date
    note: str | None


def _looks_like_kind(word: str) -> bool:
    if _KIND_LIKE.match(word):
        return True
    # A near miss of a kind word (genral, 1onl) is a typo, not the start of a note; a longer
    # word that merely starts like one (generally) is a note.
    return any(
        abs(len(word) - len(kind)) <= 1
        for kind in difflib.get_close_matches(word, KIND_WORDS, 3, 0.75)
    )


def parse_entry_minutes(text: str, policy: Policy) -> int:
    return entry_minutes(parse_duration(text), text, policy)


def entry_minutes(duration: timedelta, text: str, policy: Policy) -> int:
    seconds = int(duration.total_seconds())
    if seconds <= 0:
        raise InputError("log at least one minute")
    if seconds % 60:
        raise InputError(f"`{text}` is not a whole number of minutes")
    if duration > policy.billing.max_entry:
        raise InputError(
            f"{format_minutes(seconds // 60)} is longer than one entry may be "
            f"({format_minutes(int(policy.billing.max_entry.total_seconds()) // 60)}); "
            "log each day or session separately"
        )
    return seconds // 60


def check_work_date(work_date: date, policy: Policy, today: date) -> date:
    """A work date within what may be recorded: not after `future_days`, not more than
    MAX_DAYS_BACK before today (the same bound as /call and hour blocks)."""
    latest = today + timedelta(days=policy.billing.future_days)
    if work_date > latest:
        up_to = format_work_date(latest, today)
        if latest == today:
            up_to = f"today, {up_to} in {policy.timezone.key} (billing days are counted there)"
        raise InputError(
            f"{work_date.isoformat()} is in the future; work can be logged up to {up_to}"
        )
    check_days_back(work_date, today)
    return work_date


def parse_work_date(text: str, policy: Policy, today: date) -> date:
    """A typed work date. `today` is the provider's today, the billing day: relative words
    name provider days (an agent ahead of London cannot log onto a London day that has not
    started), and `future_days` counts from it. `YYYY-MM-DD` stays as typed."""
    return check_work_date(parse_date(text, today, order=policy.date_order), policy, today)


def _take_work_date(rest: list[str], policy: Policy, today: date) -> tuple[date | None, int]:
    """`on <date>` or a bare date (`yesterday`, `monday`, `27 Nov`, `27/11/2026`) at the front
    of `rest`: the date and how many words it took, or (None, 0) when they are the note."""
    words = rest[1:] if rest and rest[0].lower() == "on" else rest
    taken = take_date(words, today, order=policy.date_order)
    if taken is None and words is not rest and words and words[0][:1].isdigit():
        taken = parse_date(words[0], today, order=policy.date_order), 1  # `on 20-11-2026`: refused
    if taken is None:
        return None, 0
    work_date, used = taken
    return check_work_date(work_date, policy, today), used + len(rest) - len(words)


def _note(rest: list[str]) -> str | None:
    """The rest as the note: `note=…` takes everything after it, and a quoted note loses its
    quotes (both are how a note that starts with a date word is written)."""
    text = " ".join(rest).strip()
    if text[:5].lower() == "note=":
        text = text[5:].strip()
    elif len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]]:
        text = text[1:-1].strip()
    if len(text) > MAX_NOTE:
        raise InputError(f"the note is limited to {MAX_NOTE} characters")
    return text or None


def parse_log(tokens: list[str], policy: Policy, today: date) -> LogRequest:
    """Read the `/log` grammar. `today` is the provider's billing day (`provider_today`):
    work without a date belongs to it, and `today`/`yesterday` are read from it, so typing
    `today` lands where no date would (days are summed and rounded in the provider's
    timezone, seed 001 and SPEC §3).

    Only the words right after the customer can be a kind, an activity or a date (`on
    <date>` or a bare `yesterday`, `monday`, `27 Nov`), in that order; everything after them
    is the note, stored as typed (a note that starts with a date word is quoted or given as
    `note=…`).
    """
    if len(tokens) < 2:
        raise InputError("give a duration and a customer")
    duration, used = take_duration(tokens)
    minutes = entry_minutes(duration, " ".join(tokens[:used]), policy)
    if len(tokens) <= used:
        raise InputError("give a duration and a customer")
    customer = tokens[used]
    rest = tokens[used + 1 :]
    kind = SupportKind.ONE_ON_ONE
    activity = None
    if rest and rest[0].lower() in KIND_WORDS:
        kind = KIND_WORDS[rest.pop(0).lower()]
    elif rest and _looks_like_kind(rest[0].lower()):
        raise InputError(f"`{rest[0]}` is not a kind of support (use 1on1 or general)")
    if rest and rest[0].lower() in policy.activities:
        activity = rest.pop(0).lower()
    work_date, used = _take_work_date(rest, policy, today)
    return LogRequest(minutes, customer, kind, activity, work_date or today, _note(rest[used:]))


# --- Billing views of logged time -------------------------------------------------------------


def day_charges(
    db: Session, policy: Policy, customer: Customer, now: datetime, since: date | None = None
) -> list[Charge]:
    """Charge source for the ledger: each customer-day's 1-on-1 total (from `since` on),
    rounded once by the rule of the policy version in force that day (issue 16)."""
    return _charges(policy, TimeEntries.billable_days(db, customer.id, since))


def day_charges_for(
    db: Session, policy: Policy, customers: list[Customer], now: datetime, since: date | None
) -> dict[int, list[Charge]]:
    """`day_charges` for a sweep's batch of customers, in one read."""
    days = TimeEntries.billable_days_for(db, [customer.id for customer in customers], since)
    return {customer_id: _charges(policy, found) for customer_id, found in days.items()}


def _charges(policy: Policy, days: list[tuple[date, int]]) -> list[Charge]:
    return [
        Charge(
            work_date=work_date,
            minutes=policy.at(work_date).billing.rounding.apply(logged),
            source=ADHOC_DAY_SOURCE,
        )
        for work_date, logged in days
        if logged > 0
    ]


def first_charge_day(db: Session, customer: Customer) -> date | None:
    """The first day `day_charges` lists (the ledger's cheap look at the source's start)."""
    return TimeEntries.first_billable_day(db, customer.id)


def receipts_between(
    db: Session, policy: Policy, customer: Customer, first: date, last: date
) -> list[DayReceipt]:
    billable = TimeEntries.billable_minutes_between(db, customer.id, first, last)
    by_rule: dict[RoundingRule, list[tuple[date, int]]] = {}
    rules: dict[date, RoundingRule] = {}  # looked up once a day, not once an entry
    for work_date, minutes in billable:  # each day rounded by its version's rule (issue 16)
        rule = rules.get(work_date)
        if rule is None:
            rule = rules[work_date] = policy.at(work_date).billing.rounding
        by_rule.setdefault(rule, []).append((work_date, minutes))
    receipts = (daily_receipts(customer.name, days, rule) for rule, days in by_rule.items())
    return sorted((r for group in receipts for r in group), key=lambda r: r.work_date)


def day_receipt(
    db: Session, policy: Policy, customer: Customer, work_date: date
) -> DayReceipt | None:
    receipts = receipts_between(db, policy, customer, work_date, work_date)
    return receipts[0] if receipts else None


class StatementDay(TypedDict):
    """One row of the statement's `days` section (SPEC §6)."""

    date: str
    logged_minutes: int
    billed_minutes: int


def statement_days(
    db: Session, policy: Policy, customer: Customer, first: date, last: date
) -> list[StatementDay]:
    """The statement's `days` section: logged and billed 1-on-1 minutes per day."""
    return [
        StatementDay(
            date=r.work_date.isoformat(),
            logged_minutes=r.logged_minutes,
            billed_minutes=r.billed_minutes,
        )
        for r in receipts_between(db, policy, customer, first, last)
    ]


def ledger_covering(
    db: Session, policy: Policy, customer: Customer, work_date: date, now: datetime
) -> Ledger:
    today = provider_today(policy, now)
    return ledger_for(db, policy, customer, now, as_of=max(today, work_date), since=work_date)


def drawn_lines(ledger: Ledger, work_date: date, policy: Policy) -> list[str]:
    """Which block(s) the day's billed time came from, or what went to overage."""
    lines = []
    for drawdown in ledger.allocation.drawdowns:
        if drawdown.work_date != work_date or drawdown.source != ADHOC_DAY_SOURCE:
            continue
        if drawdown.block_id is None:  # overage
            rate = policy.at(drawdown.work_date).hourly_rate
            amount = overage_amount(drawdown.minutes, rate)
            lines.append(
                f"No hour block covers {format_minutes(drawdown.minutes)} of it: overage, "
                f"{amount} {policy.currency} at {rate} {policy.currency}/h."
            )
            continue
        block = ledger.allocation.statement_for(drawdown.block_id)
        terms = block.block
        if block.forfeited_minutes or terms.is_expired(ledger.as_of):
            after = f"it has expired, {format_minutes(block.forfeited_minutes)} forfeited"
        else:
            after = f"{format_minutes(block.remaining_minutes)} left in it"
        lines.append(
            f"Drawn from block #{terms.id} ({format_minutes(terms.minutes)} bought "
            f"{terms.purchased.isoformat()}, expires {terms.expires.isoformat()}): "
            f"{format_minutes(drawdown.minutes)}; {after}."
        )
    return lines


# --- Logging ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogResult:
    entry: TimeEntry
    customer: Customer
    receipt: DayReceipt | None
    drawn: list[str]
    remaining_minutes: int | None  # across unexpired blocks; None when none were ever bought
    today: date | None = None  # the provider's today: a date in another year shows its year


def check_day_cap(
    db: Session,
    agent_id: str,
    work_date: date,
    minutes: int,
    *,
    excluding: TimeEntry | None = None,
    whose: str = "you",
    today: date | None = None,
) -> None:
    """Refuse more than a day's minutes logged by one agent into one day (`excluding`: the
    entry being edited, whose old minutes no longer count)."""
    already = TimeEntries.agent_minutes_on(
        db, agent_id, work_date, excluding=excluding.id if excluding is not None else None
    )
    if already + minutes > MINUTES_PER_DAY:
        raise InputError(
            f"that would make {format_minutes(already + minutes)} logged by {whose} on "
            f"{format_work_date(work_date, today)}, more than a day has"
        )


def log_time(
    db: Session, policy: Policy, request: LogRequest, *, agent_id: str, now: datetime
) -> LogResult:
    customer = customer_service.customer_for_work(db, request.customer)
    customer_service.check_since_added(customer, request.work_date, policy)
    # The day cap is the agent's, across customers: its lock first, then the customer's
    # (the order in store.repositories.core.lock_key).
    lock_key(db, "agent-day", agent_id, request.work_date.isoformat())
    lock_customer(db, customer.id)
    check_day_cap(
        db, agent_id, request.work_date, request.minutes, today=provider_today(policy, now)
    )
    entry = TimeEntries.add(
        db,
        TimeEntry(
            customer_id=customer.id,
            agent_id=agent_id,
            work_date=request.work_date,
            minutes=request.minutes,
            kind=str(request.kind),
            activity=request.activity,
            note=request.note,
            created_at=now,
        ),
    )
    return entry_result(db, policy, customer, entry, now)


def entry_result(
    db: Session,
    policy: Policy,
    customer: Customer,
    entry: TimeEntry,
    now: datetime,
    *,
    cause: str | None = None,
) -> LogResult:
    """The entry's day and hours re-derived from every live entry: its day's receipt, what
    the ledger drew for it, the balance; recorded forfeits kept true, and the low-balance
    alert kept true to the balance (withdrawn, naming `cause`, when a correction takes it
    back over the threshold)."""
    receipt = day_receipt(db, policy, customer, entry.work_date)
    ledger = ledger_covering(db, policy, customer, entry.work_date, now)
    has_blocks = bool(ledger.allocation.blocks)
    remaining = ledger.allocation.remaining_minutes if has_blocks else None
    blocks = HourBlocks.for_customer(db, customer.id)  # read once for both checks
    sync_recorded_forfeits(db, policy, customer, ledger, now, blocks)
    if entry.kind == SupportKind.ONE_ON_ONE:
        raise_low_balance_alert(db, policy, customer, ledger, now, cause=cause, blocks=blocks)
    drawn = drawn_lines(ledger, entry.work_date, policy) if receipt else []
    return LogResult(entry, customer, receipt, drawn, remaining, provider_today(policy, now))

    return entry_result(db, policy, customer, entry, now)


def entries_on(db: Session, agent_id: str, work_date: date) -> list[tuple[TimeEntry, str]]:
    return [(e, e.customer.name) for e in TimeEntries.for_agent_on(db, agent_id, work_date)]


def describe_entry(
    entry: TimeEntry, customer_name: str, *, with_date: bool = True, today: date | None = None
) -> str:
    kind = KIND_LABELS[SupportKind(entry.kind)]
    text = f"{format_minutes(entry.minutes)} {kind} for {customer_name}"
    if with_date:
        text += f" on {format_work_date(entry.work_date, today)}"
    if entry.activity:
        text += f" ({entry.activity})"
    if entry.note:
        text += f': "{entry.note}"'
    return text


# --- Low balance -------------------------------------------------------------------------------
