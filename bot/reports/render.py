"""A statement (`bot.reports.statement.Statement`) as JSON, CSV or text.

JSON is SPEC §6 as built; CSV has one row per line item so a spreadsheet can total any column;
text says the same in a support team's words.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from bot.billing.timelog import StatementDay
from bot.bookings.charges import status_words
from bot.calls.fair_use import format_call_time
from bot.reports.statement import (
    AdjustmentRow,
    BlockRow,
    CallRow,
    SessionRow,
    SlaSummary,
    Statement,
    TrainingCallRow,
)
from bot.units import format_minutes, plural

CSV_HEADER = ["section", "date", "item", "logged_minutes", "billed_minutes", "detail"]
CsvRow = list[str | int]
Row = TypeVar("Row")


def render(statement: Statement, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(statement, indent=2)
    if fmt == "csv":
        return render_csv(statement)
    if fmt == "text":
        return render_text(statement)
    raise ValueError(f"unknown format {fmt!r} (json, csv or text)")


# --- CSV ------------------------------------------------------------------------------------


def _day_row(day: StatementDay) -> CsvRow:
    return ["day", day["date"], "ad-hoc work", day["logged_minutes"], day["billed_minutes"], ""]


def _session_row(session: SessionRow) -> CsvRow:
    return [
        "session",
        session["start"][:10],
        f"#{session['id']} {session['kind']}",
        session["minutes"],
        session["billed_minutes"],
        session["status"],
    ]


def _block_row(block: BlockRow) -> CsvRow:
    return [
        "block",
        block["purchased"],
        f"#{block['id']} {block['hours']}h",
        block["used_minutes"],
        "",
        f"{block['status']}; expires {block['expires']}; remaining "
        f"{block['remaining_minutes']}m; forfeited {block['forfeited_minutes']}m",
    ]


def _call_row(call: CallRow) -> CsvRow:
    return [
        "calls",
        "",
        call["caller"],
        call["seconds"] // 60,
        "",
        f"{call['calls']} calls; {call['long_calls']} long; {call['status']}"
        + (f"; quality {call['avg_quality']}" if call.get("avg_quality") else ""),
    ]


def _training_call_row(call: TrainingCallRow) -> CsvRow:
    return [
        "training call",
        call["start"][:10],
        f"#{call['id']} {call['caller']}",
        call["seconds"] // 60,
        call["billed_minutes"],
        f"billed as training: {call['amount']}; by {call['billed_by']} at {call['billed_at']}",
    ]


def _adjustment_row(adjustment: AdjustmentRow) -> CsvRow:
    return [
        "adjustment",
        adjustment["month"],
        f"adjustment for {adjustment['month']}",
        "",
        adjustment["billed_minutes"],
        f"overage {adjustment['overage_minutes']:+d}m; {_signed_amount(adjustment['amount'])}; "
        f"because {adjustment['reason']}",
    ]


def render_csv(statement: Statement) -> str:
    """One row per line item, so a spreadsheet can total any column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_day_row(day) for day in statement["days"])
    writer.writerows(_session_row(session) for session in statement["sessions"])
    writer.writerows(_block_row(block) for block in statement["blocks"])
    writer.writerows(_call_row(call) for call in statement["calls"])
    writer.writerows(_training_call_row(call) for call in statement.get("training_calls", []))
    writer.writerows(_adjustment_row(row) for row in statement.get("adjustments", []))
    if "issued" in statement:
        issued = statement["issued"]
        writer.writerow(["issued", issued["on"][:10], f"issued by {issued['by']}", "", "", ""])
    month, amount = statement["month"], f"{statement['amount']} {statement['currency']}"
    writer.writerow(["total", month, "billed", "", statement["billed_minutes"], ""])
    writer.writerow(["total", month, "overage", "", statement["overage_minutes"], ""])
    writer.writerow(["total", month, "amount", "", "", amount])
    return out.getvalue()


# --- text -----------------------------------------------------------------------------------

_CALL_STATUS = {
    "within": "within allowance",
    "over_allowance": "over allowance",
    "review": "flagged for review",
}


def _day_line(day: StatementDay) -> str:
    return (
        f"  {day['date']}: {format_minutes(day['logged_minutes'])} logged → "
        f"{format_minutes(day['billed_minutes'])} billed"
    )


def _session_line(session: SessionRow) -> str:
    return (
        f"  #{session['id']} {session['start'][:16].replace('T', ' ')} "
        f"{session['kind']}, {format_minutes(session['minutes'])} × {session['engineers']}: "
        f"{status_words(session['status'])}, {format_minutes(session['billed_minutes'])} billed"
        + _waived(session)
    )


def _waived(session: SessionRow) -> str:
    waived = session.get("waived")
    if waived is None:
        return ""
    return f" ({format_minutes(waived['minutes'])} charge waived: {waived['reason']})"


def _block_line(block: BlockRow) -> str:
    forfeited = block["forfeited_minutes"]
    return (
        f"  #{block['id']} {block['hours']}h bought {block['purchased']}, expires "
        f"{block['expires']}: {format_minutes(block['used_minutes'])} used, "
        f"{format_minutes(block['remaining_minutes'])} left"
        + (f", {format_minutes(forfeited)} forfeited" if forfeited else "")
        + f" ({block['status']})"
    )


def _call_line(call: CallRow) -> str:
    talked = format_call_time(call["seconds"])
    count = plural(call["calls"], "call")
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


def _training_call_line(call: TrainingCallRow) -> str:
    return (
        f"  #{call['id']} {call['start'][:16].replace('T', ' ')} {call['caller']}: "
        f"{format_call_time(call['seconds'])} → {format_minutes(call['billed_minutes'])} at "
        f"the training rate, {call['amount']} (billed as training by <@{call['billed_by']}> "
        f"at {call['billed_at'][:16].replace('T', ' ')} UTC)"
    )


def _signed_minutes(minutes: int) -> str:
    return ("-" if minutes < 0 else "+") + format_minutes(abs(minutes))


def _signed_amount(amount: str) -> str:
    return amount if amount.startswith("-") else f"+{amount}"


def _total_minutes(minutes: int) -> str:
    """A total; below zero when adjustments credit more than the month bills."""
    return format_minutes(minutes) if minutes >= 0 else _signed_minutes(minutes)


def adjustment_line(adjustment: AdjustmentRow, currency: str) -> str:
    """`adjustment for 2026-10: +30m, +45.00 GBP (overage +30m), because …`"""
    return (
        f"  adjustment for {adjustment['month']}: {_signed_minutes(adjustment['billed_minutes'])}, "
        f"{_signed_amount(adjustment['amount'])} {currency} "
        f"(overage {_signed_minutes(adjustment['overage_minutes'])}), "
        f"because {adjustment['reason']}"
    )


def who(actor: str) -> str:
    """A Slack user as a mention; the CLI ("cli") as itself."""
    return f"<@{actor}>" if actor[:1] in ("U", "W") else actor


def _issued_lines(statement: Statement) -> list[str]:
    if "issued" not in statement:
        return []
    issued = statement["issued"]
    return [
        f"Issued on {issued['on'][:16].replace('T', ' ')} UTC by {who(issued['by'])}: this statement no longer "
        "changes; later changes to its figures appear as adjustments in the next open month."
    ]


def _sla_lines(sla: SlaSummary) -> list[str]:
    if not sla.get("tickets"):
        return []
    ratio = sla.get("within_target_ratio")
    return [
        f"SLA: {plural(sla['tickets'], 'ticket')}, {sla['responded']} responded, {sla['breached']} breached"
        + (f", {ratio:.1%} within target" if ratio is not None else "")
    ]


def _titled(title: str, rows: Sequence[Row], line: Callable[[Row], str]) -> list[str]:
    """A titled list of lines, or nothing when there are no rows."""
    return [title, *(line(row) for row in rows)] if rows else []


def render_text(statement: Statement) -> str:
    customer, month, plan = statement["customer"], statement["month"], statement["plan"]
    lines = [f"Statement for {customer}, {month} ({plan} plan)", *_issued_lines(statement)]
    lines += _titled("Ad-hoc work (rounded once daily):", statement["days"], _day_line)
    lines += _titled("Sessions:", statement["sessions"], _session_line)
    lines += _titled(
        "Adjustments to issued months (included in the totals below):",
        statement.get("adjustments", []),
        lambda row: adjustment_line(row, statement["currency"]),
    )
    lines.append(
        f"Billed: {_total_minutes(statement['billed_minutes'])}; overage "
        f"{_total_minutes(statement['overage_minutes'])}; amount due "
        f"{statement['amount']} {statement['currency']}"
    )
    lines += _titled("Hour blocks:", statement["blocks"], _block_line) or [
        "Hour blocks: none bought"
    ]
    lines += _titled("Phone calls:", statement["calls"], _call_line)
    lines += _titled(
        "Long calls billed as training (not in the phone allowance):",
        statement.get("training_calls", []),
        _training_call_line,
    )
    lines += _sla_lines(statement["sla"])
    return "\n".join(lines)
