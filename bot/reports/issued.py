"""Issued statements (issue 16, item 2): a month's statement frozen when a manager issues it,
and the adjustments that carry any later change to an issued month into the next open one.

Issuing stores the statement's JSON (SPEC §6, as `bot.reports.statement` builds it, with its
own `adjustments` and an `issued` mark) with its SHA-256; every later report of that month is
that text, byte for byte. The figures are still derived from the live records, so a later
change (a back-dated entry, an undo, a block bought earlier, a late cancellation or a call
billed as training dated in that month) moves the month's *live* figures; the difference
between them and what was issued is shown, once, in the first month after it that is not
issued, as an adjustment — signed deltas of `billed_minutes`, `overage_minutes` and `amount`
— and is included in that month's totals.

For a month M that is not issued, the issued months whose first open month is M are the run
of issued months just before it. For each such month E:

    delta(E) = live(E) − (issued(E) − E's own adjustments) − adjustments for E already carried
               by issued months between E and M

so a change is carried exactly once, whichever month carries it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy.orm import Session

from bot.billing.ledger import Ledger
from bot.errors import Conflict, InputError
from bot.policy.model import Policy, provider_today
from bot.reports.render import render, who
from bot.reports.statement import (
    AdjustmentRow,
    IssuedMark,
    Statement,
    ended_month_figures,
    month_dates,
    statement_and_ledger,
)
from store.models import Customer, IssuedStatement
from store.repositories.core import lock_customer
from store.repositories.once import reading_once
from store.repositories.statements import IssuedStatements

REASON = "the figures changed after it was issued"


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


@dataclass(frozen=True)
class MonthReport:
    """A month's statement: frozen (`issued` is its row) or live with its adjustments."""

    statement: Statement
    issued: IssuedStatement | None = None

    def render(self, fmt: str) -> str:
        """JSON, CSV or text; an issued statement's JSON is the stored text, byte for byte."""
        if self.issued is None:
            return render(self.statement, fmt)
        if fmt == "json":
            return self.issued.json
        text = render(self.statement, fmt)
        return (
            text + f"\nsha256 of the issued JSON: {self.issued.sha256}" if fmt == "text" else text
        )


@dataclass(frozen=True)
class IssueResult:
    report: MonthReport
    row: IssuedStatement
    already: bool  # it had been issued before; nothing changed


def _frozen(row: IssuedStatement, customer: Customer) -> Statement:
    if hashlib.sha256(row.json.encode()).hexdigest() != row.sha256:
        raise Conflict(
            f"{customer.name}'s issued statement for {row.month} does not match its sha256: "
            "it was changed in the database after it was issued"
        )
    return cast(Statement, json.loads(row.json))


def monthly_statement(
    db: Session, policy: Policy, customer: Customer, year: int, month: int, now: datetime
) -> MonthReport:
    """The month's statement as it stands: the issued one if the month was issued, else the
    live one with the adjustments it carries for earlier issued months."""
    row = IssuedStatements.for_month(db, customer.id, month_key(year, month))
    if row is not None:
        return MonthReport(_frozen(row, customer), row)
    # The sections, the ledger and the adjustments each ask for the month's bookings and the
    # late moves: read once (issue 11; a round trip each on Postgres).
    with reading_once(db):
        statement, ledger = statement_and_ledger(db, policy, customer, year, month, now)
        adjustments = adjustments_into(db, policy, customer, year, month, now, ledger)
    statement["billed_minutes"] += sum(a["billed_minutes"] for a in adjustments)
    statement["overage_minutes"] += sum(a["overage_minutes"] for a in adjustments)
    amount = Decimal(statement["amount"]) + sum(
        (Decimal(a["amount"]) for a in adjustments), Decimal(0)
    )
    statement["amount"] = f"{amount:.2f}"
    statement["adjustments"] = adjustments
    return MonthReport(statement)


def _issued_run(db: Session, customer: Customer, year: int, month: int) -> dict[str, str]:
    """The issued months just before (year, month), with no open month between, oldest
    first, each with the sha256 of its issued JSON."""
    issued = IssuedStatements.sha256_by_month(db, customer.id)
    run: list[str] = []
    y, m = previous_month(year, month)
    while month_key(y, m) in issued:
        run.append(month_key(y, m))
        y, m = previous_month(y, m)
    return {key: issued[key] for key in reversed(run)}


@dataclass(frozen=True)
class Figures:
    """The figures an adjustment carries: billed minutes, overage minutes, amount."""

    billed: int = 0
    overage: int = 0
    amount: Decimal = Decimal(0)

    @classmethod
    def of(cls, statement: Statement) -> Figures:
        return cls(
            statement["billed_minutes"], statement["overage_minutes"], Decimal(statement["amount"])
        )

    @classmethod
    def carried(cls, adjustments: list[AdjustmentRow], key: str | None = None) -> Figures:
        """The sum of the adjustments (only those for month `key`, if given)."""
        rows = [a for a in adjustments if key is None or a["month"] == key]
        return cls(
            sum(a["billed_minutes"] for a in rows),
            sum(a["overage_minutes"] for a in rows),
            sum((Decimal(a["amount"]) for a in rows), Decimal(0)),
        )

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.billed + other.billed, self.overage + other.overage, self.amount + other.amount
        )

    def __sub__(self, other: Figures) -> Figures:
        return Figures(
            self.billed - other.billed, self.overage - other.overage, self.amount - other.amount
        )


# Issued statements' figures and adjustments by the sha256 of their JSON: what a statement
# carrying adjustments needs of every issued month before it, parsed once per process.
_parsed: dict[str, tuple[Figures, list[AdjustmentRow]]] = {}
PARSED_AT_MOST = 100_000


def _frozen_figures(
    db: Session, customer: Customer, run: dict[str, str]
) -> dict[str, tuple[Figures, list[AdjustmentRow]]]:
    """Each issued month's figures and its own adjustments, for a run of months (month ->
    the sha256 of its JSON). A JSON is read, checked against its sha256 and parsed the first
    time a process meets that sha256, the months not met yet in one read (issue 11: one a
    month was 60 round trips for five years); a row changed with its sha256 recomputed is
    read again, and one changed without it is refused when its own month is shown
    (`monthly_statement`)."""
    found = {key: _parsed[sha256] for key, sha256 in run.items() if sha256 in _parsed}
    missing = [key for key in run if key not in found]
    if missing:
        rows = {
            row.month: row
            for row in IssuedStatements.between(db, customer.id, missing[0], missing[-1])
        }
        for key in missing:
            row = rows.get(key)
            if row is None or row.sha256 != run[key]:
                raise Conflict(f"{customer.name}'s issued statement for {key} changed while read")
            statement = _frozen(row, customer)
            found[key] = (Figures.of(statement), list(statement.get("adjustments", [])))
            if len(_parsed) >= PARSED_AT_MOST:
                _parsed.clear()
            _parsed[row.sha256] = found[key]
    return {key: found[key] for key in run}


def adjustments_into(
    db: Session,
    policy: Policy,
    customer: Customer,
    year: int,
    month: int,
    now: datetime,
    ledger: Ledger | None = None,
) -> list[AdjustmentRow]:
    """What changed in earlier issued months since they were issued, carried into this
    (open) month: one row per issued month whose figures moved, oldest first. `ledger`:
    this month's statement's own, when the caller has it (it holds the months' draws)."""
    frozen = _frozen_figures(db, customer, _issued_run(db, customer, year, month))
    months = [(int(key[:4]), int(key[5:])) for key in frozen]
    # Every month's draws from the kept ledger state, not a pass over them (issue 11).
    figures = ended_month_figures(db, policy, customer, months, now, ledger)
    rows: list[AdjustmentRow] = []
    later: dict[str, Figures] = {}  # per month, what the issued months after it carried
    for key, issued_month in reversed(list(zip(frozen, months, strict=True))):
        issued, own = frozen[key]
        live = Figures(*figures[issued_month])
        base = issued - Figures.carried(own)
        delta = live - base - later.get(key, Figures())
        for adjusted in {a["month"] for a in own}:
            later[adjusted] = later.get(adjusted, Figures()) + Figures.carried(own, adjusted)
        if delta != Figures():
            rows.insert(
                0,
                AdjustmentRow(
                    month=key,
                    billed_minutes=delta.billed,
                    overage_minutes=delta.overage,
                    amount=f"{delta.amount:.2f}",
                    reason=REASON,
                ),
            )
    return rows


def issue(
    db: Session,
    policy: Policy,
    customer: Customer,
    year: int,
    month: int,
    *,
    actor: str,
    now: datetime,
) -> IssueResult:
    """Freeze the customer's statement for a month that has ended. Issuing it again changes
    nothing and says so (`already`)."""
    lock_customer(db, customer.id)
    key = month_key(year, month)
    _, last = month_dates(year, month)
    if provider_today(policy, now) <= last:
        raise InputError(
            f"{key} has not ended yet; its statement can be issued from "
            f"{(last + timedelta(days=1)).isoformat()}"
        )
    existing = IssuedStatements.for_month(db, customer.id, key)
    if existing is not None:
        return IssueResult(MonthReport(_frozen(existing, customer), existing), existing, True)
    statement = monthly_statement(db, policy, customer, year, month, now).statement
    statement["issued"] = IssuedMark(on=now.isoformat(timespec="seconds"), by=actor)
    text = render(statement, "json")
    row = IssuedStatements.add(
        db,
        IssuedStatement(
            customer_id=customer.id,
            month=key,
            json=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            issued_at=now,
            issued_by=actor,
        ),
    )
    return IssueResult(MonthReport(statement, row), row, False)


def issue_note(customer: Customer, result: IssueResult) -> str:
    """What issuing did, in a sentence that starts with our own word, never a name."""
    row = result.row
    if result.already:
        return (
            f"already issued: {customer.name}'s statement for {row.month} was issued on "
            f"{row.issued_at:%Y-%m-%d %H:%M} UTC by {who(row.issued_by)}; nothing changed."
        )
    return (
        f"issued {customer.name}'s statement for {row.month} (sha256 {row.sha256[:12]}…); it "
        "no longer changes, and later changes to its figures land in the next open month as "
        "adjustments."
    )
