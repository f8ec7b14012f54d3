"""Re-rating the past (issue 16): `hourglass policy rerate --from DATE`, a manager's explicit
choice to let an edited policy file change days already gone by.

Start-up refuses a policy file whose versions would give a day already begun a different
value (`bot.reports.policy_record`). A re-rate from DATE shows, for every customer and every
month from DATE's to today's, the statements whose figures (billed minutes, overage, amount)
differ between the recorded versions and the file's; only when told to commit does it record
the file's versions (by "cli", with `rerated_from` = DATE), after which start-up accepts the
file. A file that changes a day before DATE is refused: re-rate from that day instead.

Issued statements (`bot.reports.issued`) stay as issued: a change to an issued month's
figures appears, as ever, as an adjustment in the next open month, and that is the statement
shown changing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.errors import Conflict, InputError
from bot.policy.loader import build_policy
from bot.policy.model import Policy, PolicyHistory, provider_today
from bot.policy.reader import Reader
from bot.policy.versions import UNDATED, past_change, recorded_history
from bot.reports.issued import Figures, month_key, monthly_statement
from bot.reports.statement import Statement
from bot.units import format_minutes
from store.repositories.core import Customers
from store.repositories.policy import PolicyVersions, Version

BY = "cli"
ISSUED_NOTE = (
    "Issued statements stay as issued: a change to an issued month's figures appears as an "
    "adjustment in the next open month, and that month is the one listed."
)


@dataclass(frozen=True)
class StatementChange:
    """One customer's statement for one month, before and after the re-rate."""

    customer: str
    month: str
    before: Figures
    after: Figures
    carried: tuple[str, ...]  # issued months whose adjustment here changed


@dataclass(frozen=True)
class Rerate:
    since: date
    changes: tuple[StatementChange, ...]
    unchanged_file: bool  # the file is as recorded: nothing to re-rate
    committed: bool

    def describe(self, currency: str, now: datetime) -> str:
        if self.unchanged_file:
            return (
                "nothing to re-rate: the policy file's versions are the ones recorded (or "
                "none are recorded yet); nothing changed."
            )
        head = f"Re-rating from {self.since}: statements whose figures change"
        lines = [
            head + ":"
            if self.changes
            else f"Re-rating from {self.since}: no statement's figures change."
        ]
        lines += [_change_line(change, currency) for change in self.changes]
        lines.append(ISSUED_NOTE)
        if self.committed:
            lines.append(
                f"Re-rated: the policy file's versions are recorded from {self.since} (by "
                f"{BY}, {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC); start-up now accepts the file."
            )
        else:
            lines.append("Nothing has changed yet: run it again with --yes to re-rate.")
        return "\n".join(lines)


def _change_line(change: StatementChange, currency: str) -> str:
    before, after = change.before, change.after
    line = (
        f"{change.customer} {change.month}: billed {format_minutes(before.billed)} → "
        f"{format_minutes(after.billed)}; overage {format_minutes(before.overage)} → "
        f"{format_minutes(after.overage)}; amount {before.amount:.2f} → {after.amount:.2f} "
        f"{currency}"
    )
    if change.carried:
        line += f" (as the adjustment for issued {', '.join(change.carried)})"
    return line


def rerate(db: Session, policy: Policy, since: date, now: datetime, *, commit: bool) -> Rerate:
    """Compare the recorded versions with the file's from `since`; record the file's if
    `commit`. Refuses a `since` still to come, and a file that changes a day before it."""
    if policy.history is None:
        raise InputError("the policy was not read from a file; there is nothing to re-rate")
    today = provider_today(policy, now)
    if since > today:
        raise InputError(
            f"{since} is still to come: a change from a day to come needs no re-rate; put it "
            "in a [[versions]] table effective from that day"
        )
    current = recorded_history(policy.history)
    recorded = PolicyVersions.current(db)
    if not recorded or recorded == current:
        return Rerate(since, (), unchanged_file=True, committed=False)
    _refuse_earlier_change(recorded, current, since)
    before = recorded_policy(recorded, policy.history)
    changes = tuple(_changes(db, before, policy, since, now))
    if commit:
        PolicyVersions.record(db, current, now=now, by=BY, rerated_from=since)
    return Rerate(since, changes, unchanged_file=False, committed=commit)


def _refuse_earlier_change(recorded: list[Version], current: list[Version], since: date) -> None:
    change = past_change(recorded, current, since - timedelta(days=1))
    if change is None:
        return
    key, day = change
    if day is None:
        raise Conflict(
            f"the policy file changes {key} from the beginning, before {since}; put the change "
            f"in a [[versions]] table effective from {since} instead; nothing changed"
        )
    raise Conflict(
        f"the policy file changes {key} from {day}, before {since}; re-rate from {day} "
        "instead; nothing changed"
    )


def recorded_policy(recorded: list[Version], history: PolicyHistory) -> Policy:
    """The recorded versions as a policy history (its newest version). Keys that change no
    figure are not recorded; the file's are used."""
    undated = _undated(history.tables[-1]) if history.tables else {}
    origin = "the recorded policy"
    entries = [
        (effective, build_policy(Reader("", origin), {**content, **_overlay(content, undated)}))
        for effective, content in recorded
    ]
    return PolicyHistory(entries).latest


def _undated(table: Any) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for path in UNDATED:
        value: Any = table
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            parent = kept
            for key in path[:-1]:
                parent = parent.setdefault(key, {})
            parent[path[-1]] = value
    return kept


def _overlay(content: dict[str, Any], undated: dict[str, Any]) -> dict[str, Any]:
    """The top-level tables of `content` with the undated keys put back in."""
    return {
        key: {**content.get(key, {}), **value} if isinstance(value, dict) else value
        for key, value in undated.items()
    }


def _months(since: date, today: date) -> Iterator[tuple[int, int]]:
    year, month = since.year, since.month
    while (year, month) <= (today.year, today.month):
        yield year, month
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)


def _adjusted(statement: Statement) -> dict[str, Any]:
    return {a["month"]: a for a in statement.get("adjustments", [])}


def _changes(
    db: Session, before: Policy, after: Policy, since: date, now: datetime
) -> Iterator[StatementChange]:
    today = provider_today(after, now)
    for customer in sorted(Customers.all(db), key=lambda c: c.name):
        for year, month in _months(since, today):
            old = monthly_statement(db, before, customer, year, month, now).statement
            new = monthly_statement(db, after, customer, year, month, now).statement
            if Figures.of(old) == Figures.of(new):
                continue
            was, now_carried = _adjusted(old), _adjusted(new)
            carried = tuple(
                sorted(
                    k for k in was.keys() | now_carried.keys() if was.get(k) != now_carried.get(k)
                )
            )
            yield StatementChange(
                customer.name, month_key(year, month), Figures.of(old), Figures.of(new), carried
            )
