"""The customer's monthly statement (SPEC §6) as a dict, JSON, CSV or text.

Each section comes from its own function so each feature owns its part.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot.billing.ledger import Ledger, ledger_for
from bot.billing.timelog import statement_days
from bot.bookings.charges import sessions_rows, training_minutes
from bot.calls.calls import month_rows
from bot.calls.fair_use import format_call_time
from bot.policy.model import Policy, provider_today
from bot.sla.goals import month_sla
from bot.units import format_minutes, overage_amount
from store.models import Customer

FORMATS = ("json", "csv", "text")


def month_dates(year: int, month: int) -> tuple[date, date]:
    """First day and last day of the month."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _in_month(day: date, first: date, last: date) -> bool:
    return first <= day <= last


def days_section(db: Session, policy: Policy, customer: Customer, first: date, last: date):
    """Ad-hoc billable work per day: logged and billed minutes."""
    return statement_days(db, policy, customer, first, last)


def sessions_section(
    db: Session,
    policy: Policy,
    customer: Customer,
    first: date,
    last: date,
    now: datetime | None = None,
):
    """Booked sessions starting in the month, with their status as of `now` (bot/bookings/)."""
    return sessions_rows(db, policy, customer, first, now or _after(last, policy))


def calls_section(db: Session, policy: Policy, customer: Customer, first: date, last: date):
    """Phone calls per caller against the fair-use allowance (issue 4)."""
    return month_rows(db, policy, customer, first.year, first.month)


def sla_section(
    db: Session,
    policy: Policy,
    customer: Customer,
    first: date,
    last: date,
    now: datetime | None = None,
):
    """SLA results for tickets opened in the month, as of `now` (else the month's end)."""
    if now is None:
        now = datetime.combine(last + timedelta(days=1), datetime.min.time(), policy.timezone)
    return month_sla(db, policy, customer, first.year, first.month, now).statement()


def training_billed(
    db: Session,
    policy: Policy,
    customer: Customer,
    first: date,
    last: date,
    now: datetime | None = None,
) -> tuple[int, Decimal]:
    """Minutes billed outside the hour blocks (training), and their price at the training rate."""
    minutes = training_minutes(db, policy, customer, first, now or _after(last, policy))
    return minutes, overage_amount(minutes, policy.training_rate)


def _after(last: date, policy: Policy) -> datetime:
    """The end of the month's last day in the provider's timezone."""
    return datetime.combine(last + timedelta(days=1), datetime.min.time(), policy.timezone)


def blocks_section(ledger: Ledger, last: date) -> list[dict[str, Any]]:
    """Blocks bought by the month's end, with their balance as of the statement's date."""
    rows = []
    for statement in sorted(
        ledger.allocation.blocks, key=lambda s: (s.block.purchased, int(s.block.id))
    ):
        block = statement.block
        if block.purchased > last:
            continue  # bought after the month: not part of its statement
        rows.append(
            {
                "id": block.id,
                "hours": _hours(block.minutes),
                "purchased": block.purchased.isoformat(),
                "expires": block.expires.isoformat(),
                "used_minutes": statement.used_minutes,
                "remaining_minutes": statement.remaining_minutes,
                "forfeited_minutes": statement.forfeited_minutes,
                "status": str(statement.status),
            }
        )
    return rows


def _hours(minutes: int) -> int | float:
    hours = minutes / 60
    return int(hours) if hours == int(hours) else round(hours, 2)


def build_statement(
    db: Session, policy: Policy, customer: Customer, year: int, month: int, now: datetime
) -> dict[str, Any]:
    first, last = month_dates(year, month)
    as_of = min(last, provider_today(policy, now))
    ledger = ledger_for(db, policy, customer, now, as_of=max(as_of, first - timedelta(days=1)))
    month_charges = [c for c in ledger.charges if _in_month(c.work_date, first, last)]
    overage = sum(
        d.minutes
        for d in ledger.allocation.drawdowns
        if d.block_id is None and _in_month(d.work_date, first, last)
    )
    training_minutes, training_amount = training_billed(db, policy, customer, first, last, now=now)
    amount = overage_amount(overage, policy.hourly_rate) + training_amount
    return {
        "customer": customer.name,
        "month": f"{year:04d}-{month:02d}",
        "currency": policy.currency,
        "plan": customer.plan,
        "as_of": as_of.isoformat(),
        "days": days_section(db, policy, customer, first, last),
        "sessions": sessions_section(db, policy, customer, first, last, now=now),
        # SPEC §6: the month's days, sessions (training too) and cancellation charges.
        "billed_minutes": sum(c.minutes for c in month_charges) + training_minutes,
        "overage_minutes": overage,
        "amount": f"{amount:.2f}",
        "blocks": blocks_section(ledger, last),
        "calls": calls_section(db, policy, customer, first, last),
        "sla": sla_section(db, policy, customer, first, last, now=now),
    }


def render(statement: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(statement, indent=2)
    if fmt == "csv":
        return render_csv(statement)
    if fmt == "text":
        return render_text(statement)
    raise ValueError(f"unknown format {fmt!r} (json, csv or text)")


def render_csv(statement: dict[str, Any]) -> str:
    """One row per line item, so a spreadsheet can total any column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "date", "item", "logged_minutes", "billed_minutes", "detail"])
    for day in statement["days"]:
        writer.writerow(
            ["day", day["date"], "ad-hoc work", day["logged_minutes"], day["billed_minutes"], ""]
        )
    for session in statement["sessions"]:
        writer.writerow(
            [
                "session",
                session["start"][:10],
                f"#{session['id']} {session['kind']}",
                session["minutes"],
                session["billed_minutes"],
                session["status"],
            ]
        )
    for block in statement["blocks"]:
        writer.writerow(
            [
                "block",
                block["purchased"],
                f"#{block['id']} {block['hours']}h",
                block["used_minutes"],
                "",
                f"{block['status']}; expires {block['expires']}; remaining "
                f"{block['remaining_minutes']}m; forfeited {block['forfeited_minutes']}m",
            ]
        )
    for call in statement["calls"]:
        writer.writerow(
            [
                "calls",
                "",
                call["caller"],
                call["seconds"] // 60,
                "",
                f"{call['calls']} calls; {call['long_calls']} long; {call['status']}"
                + (f"; quality {call['avg_quality']}" if call.get("avg_quality") else ""),
            ]
        )
    writer.writerow(["total", statement["month"], "billed", "", statement["billed_minutes"], ""])
    writer.writerow(["total", statement["month"], "overage", "", statement["overage_minutes"], ""])
    writer.writerow(
        [
            "total",
            statement["month"],
            "amount",
            "",
            "",
            f"{statement['amount']} {statement['currency']}",
        ]
    )
    return out.getvalue()


_CALL_STATUS = {
    "within": "within allowance",
    "over_allowance": "over allowance",
    "review": "flagged for review",
}


def _call_line(call: dict[str, Any]) -> str:
    talked = format_call_time(call["seconds"])
    count = f"{call['calls']} call{'s' if call['calls'] != 1 else ''}"
    if call["status"] == "not_covered":
        return f"  {call['caller']}: {count}, {talked} (not covered by the plan)"
    line = (
        f"  {call['caller']}: {count}, {talked} of {call['allowance_minutes']}m allowance "
        f"({_CALL_STATUS.get(call['status'], call['status'])})"
    )
    if call["long_calls"]:
        line += f", {call['long_calls']} long"
    if call.get("avg_quality"):
        line += f", average quality {call['avg_quality']:.1f}/5"
    return line


def render_text(statement: dict[str, Any]) -> str:
    lines = [
        f"Statement for {statement['customer']}, {statement['month']} ({statement['plan']} plan)"
    ]
    if statement["days"]:
        lines.append("Ad-hoc work (rounded once daily):")
        for day in statement["days"]:
            lines.append(
                f"  {day['date']}: {format_minutes(day['logged_minutes'])} logged → "
                f"{format_minutes(day['billed_minutes'])} billed"
            )
    if statement["sessions"]:
        lines.append("Sessions:")
        for session in statement["sessions"]:
            lines.append(
                f"  #{session['id']} {session['start'][:16].replace('T', ' ')} "
                f"{session['kind']}, {format_minutes(session['minutes'])} × {session['engineers']}: "
                f"{session['status']}, {format_minutes(session['billed_minutes'])} billed"
            )
    lines.append(
        f"Billed: {format_minutes(statement['billed_minutes'])}; overage "
        f"{format_minutes(statement['overage_minutes'])}; amount due "
        f"{statement['amount']} {statement['currency']}"
    )
    if statement["blocks"]:
        lines.append("Hour blocks:")
        for block in statement["blocks"]:
            lines.append(
                f"  #{block['id']} {block['hours']}h bought {block['purchased']}, expires "
                f"{block['expires']}: {format_minutes(block['used_minutes'])} used, "
                f"{format_minutes(block['remaining_minutes'])} left"
                + (
                    f", {format_minutes(block['forfeited_minutes'])} forfeited"
                    if block["forfeited_minutes"]
                    else ""
                )
                + f" ({block['status']})"
            )
    else:
        lines.append("Hour blocks: none bought")
    if statement["calls"]:
        lines.append("Phone calls:")
        for call in statement["calls"]:
            lines.append(_call_line(call))
    sla = statement["sla"]
    if sla.get("tickets"):
        ratio = sla.get("within_target_ratio")
        lines.append(
            f"SLA: {sla['tickets']} tickets, {sla['responded']} responded, {sla['breached']} breached"
            + (f", {ratio:.1%} within target" if ratio is not None else "")
        )
    return "\n".join(lines)
