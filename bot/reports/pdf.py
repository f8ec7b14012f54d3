"""A statement (`bot.reports.statement.Statement`) as an invoice-ready PDF (issue 13 item 5).

Drawn with fpdf2 from the very statement the JSON is rendered from, so every amount is the
statement's string, never recomputed: the PDF and the JSON agree to the penny by
construction. The text face is DejaVu Sans, which matplotlib (a dependency, for the charts)
ships: fpdf2's built-in faces cover Latin-1 only, and customer names, reasons and currency
signs need more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from matplotlib import get_data_path

from bot.bookings.charges import status_words
from bot.calls.fair_use import format_call_time
from bot.reports.statement import Statement
from bot.units import format_minutes, plural

FONTS = Path(get_data_path()) / "fonts" / "ttf"
FACE = "DejaVu"
INK, MUTED, RULE, BAND = (34, 34, 34), (102, 102, 102), (200, 200, 200), (238, 242, 247)
CALL_STATUS = {
    "within": "within allowance",
    "over_allowance": "over allowance",
    "review": "flagged for review",
    "not_covered": "not covered by the plan",
}


class _Document(FPDF):
    def __init__(self, provider: str, title: str) -> None:
        super().__init__(format="A4")
        self.provider, self.heading = provider, title
        self.add_font(FACE, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FACE, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(True, margin=16)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FACE, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.heading} · page {self.page_no()} of {{nb}}", align="C")


def statement_pdf(statement: Statement, provider: str, timezone: ZoneInfo) -> bytes:
    """The statement as PDF bytes: `provider` is the policy's name, `timezone` the provider's
    (sessions are shown at their local start)."""
    customer, month, currency = statement["customer"], statement["month"], statement["currency"]
    title = f"{provider}: statement for {customer}, {month}"
    pdf = _Document(provider, title)
    pdf.set_title(title)
    pdf.set_author(provider)
    pdf.set_creator("Hourglass")
    # The statement's own date, not the wall clock: the same statement gives the same PDF.
    pdf.set_creation_date(
        datetime.combine(date.fromisoformat(statement["as_of"]), time(), timezone)
    )
    pdf.add_page()
    _header(pdf, statement, provider)
    _totals(pdf, statement)
    _days(pdf, statement)
    _sessions(pdf, statement, timezone)
    _training_calls(pdf, statement)
    _adjustments(pdf, statement)
    _blocks(pdf, statement)
    _calls(pdf, statement)
    _sla(pdf, statement)
    pdf.ln(4)
    _note(pdf, f"All amounts in {currency}. Times in {timezone.key}.")
    return bytes(pdf.output())


def _header(pdf: _Document, statement: Statement, provider: str) -> None:
    pdf.set_text_color(*INK)
    pdf.set_font(FACE, "B", 18)
    pdf.cell(0, 9, provider, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FACE, "", 12)
    pdf.cell(
        0,
        7,
        f"Statement for {statement['customer']}, {_month_name(statement['month'])}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FACE, "", 9)
    pdf.set_text_color(*MUTED)
    facts = (
        f"Plan: {statement['plan']} · Month: {statement['month']} · Figures as of "
        f"{statement['as_of']} · Currency: {statement['currency']}"
    )
    pdf.cell(0, 5, facts, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    issued = statement.get("issued")
    if issued is not None:
        pdf.cell(
            0,
            5,
            f"Issued {issued['on'][:10]}: final; later changes appear as adjustments in the "
            "next open month.",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(3)


def _totals(pdf: _Document, statement: Statement) -> None:
    currency = statement["currency"]
    rows: list[tuple[str, str]] = [
        ("Billed time", _signed_minutes(statement["billed_minutes"])),
        ("Not covered by hour blocks (overage)", _signed_minutes(statement["overage_minutes"])),
    ]
    if "overage_amount" in statement:
        rows.append(("Overage amount", f"{statement['overage_amount']} {currency}"))
    if "training_amount" in statement:
        rows.append(("Training amount", f"{statement['training_amount']} {currency}"))
    for adjustment in statement.get("adjustments", []):
        rows.append((f"Adjustment for {adjustment['month']}", f"{adjustment['amount']} {currency}"))
    _section(pdf, "Summary")
    pdf.set_font(FACE, "", 10)
    for label, value in rows:
        pdf.cell(120, 6, label)
        pdf.cell(0, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_font(FACE, "B", 12)
    pdf.cell(120, 8, "Amount due")
    pdf.cell(
        0, 8, f"{statement['amount']} {currency}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )


def _days(pdf: _Document, statement: Statement) -> None:
    days = statement["days"]
    if not days:
        return
    _section(pdf, "Ad-hoc work (each day's total rounded once)")
    _table(
        pdf,
        ("Date", "Logged", "Billed"),
        [
            (
                day["date"],
                format_minutes(day["logged_minutes"]),
                format_minutes(day["billed_minutes"]),
            )
            for day in days
        ],
        (1, 1, 1),
    )


def _sessions(pdf: _Document, statement: Statement, timezone: ZoneInfo) -> None:
    sessions = statement["sessions"]
    if not sessions:
        return
    _section(pdf, "Sessions and charges")
    rows = []
    for session in sessions:
        start = datetime.fromisoformat(session["start"]).astimezone(timezone)
        status = status_words(session["status"])
        waived = session.get("waived")
        if waived is not None:
            status += f" (charge waived: {waived['reason']})"
        rows.append(
            (
                f"#{session['id']}",
                f"{start:%Y-%m-%d %H:%M}",
                session["kind"],
                f"{format_minutes(session['minutes'])} × {session['engineers']}",
                status,
                format_minutes(session["billed_minutes"]),
            )
        )
    _table(
        pdf, ("Session", "Start", "Kind", "Length", "Status", "Billed"), rows, (1, 2, 1, 1.3, 3, 1)
    )


def _training_calls(pdf: _Document, statement: Statement) -> None:
    calls = statement.get("training_calls", [])
    if not calls:
        return
    _section(pdf, "Long calls billed as training")
    currency = statement["currency"]
    _table(
        pdf,
        ("Call", "Date", "Caller", "Talk time", "Billed", "Amount"),
        [
            (
                f"#{call['id']}",
                call["start"][:10],
                call["caller"],
                format_call_time(call["seconds"]),
                format_minutes(call["billed_minutes"]),
                f"{call['amount']} {currency}",
            )
            for call in calls
        ],
        (1, 1.5, 1.5, 1.2, 1, 1.4),
    )


def _adjustments(pdf: _Document, statement: Statement) -> None:
    adjustments = statement.get("adjustments", [])
    if not adjustments:
        return
    _section(pdf, "Adjustments to issued months (included in the amount due)")
    currency = statement["currency"]
    _table(
        pdf,
        ("Month", "Billed", "Overage", "Amount", "Because"),
        [
            (
                row["month"],
                _signed_minutes(row["billed_minutes"], sign=True),
                _signed_minutes(row["overage_minutes"], sign=True),
                f"{row['amount']} {currency}",
                row["reason"],
            )
            for row in adjustments
        ],
        (1, 1, 1, 1.3, 4),
    )


def _blocks(pdf: _Document, statement: Statement) -> None:
    _section(pdf, "Hour blocks")
    blocks = statement["blocks"]
    if not blocks:
        _note(pdf, "No hour blocks bought.")
        return
    _table(
        pdf,
        ("Block", "Bought", "Expires", "Hours", "Used", "Left", "Forfeited", "Status"),
        [
            (
                f"#{block['id']}",
                block["purchased"],
                block["expires"],
                f"{block['hours']}h",
                format_minutes(block["used_minutes"]),
                format_minutes(block["remaining_minutes"]),
                format_minutes(block["forfeited_minutes"]),
                block["status"],
            )
            for block in blocks
        ],
        (0.9, 1.4, 1.4, 0.9, 1, 1, 1.1, 1.2),
    )


def _calls(pdf: _Document, statement: Statement) -> None:
    calls = statement["calls"]
    if not calls:
        return
    _section(pdf, "Phone calls and fair use")
    _table(
        pdf,
        ("Caller", "Calls", "Talk time", "Long calls", "Allowance", "Fair use"),
        [
            (
                call["caller"],
                str(call["calls"]),
                format_call_time(call["seconds"]),
                str(call["long_calls"]),
                f"{call['allowance_minutes']}m",
                CALL_STATUS.get(call["status"], call["status"]),
            )
            for call in calls
        ],
        (1.5, 0.8, 1.2, 1, 1, 2),
    )


def _sla(pdf: _Document, statement: Statement) -> None:
    sla = statement["sla"]
    _section(pdf, "Service levels")
    if not sla.get("tickets"):
        _note(pdf, "No tickets this month.")
        return
    ratio = sla.get("within_target_ratio")
    p90 = sla.get("p90_first_response_minutes")
    _note(
        pdf,
        f"{plural(sla['tickets'], 'ticket')}, {sla['responded']} responded, "
        f"{sla['breached']} breached"
        + (f"; {ratio:.1%} within target" if ratio is not None else "")
        + (f"; 90% of first responses within {format_minutes(p90)}" if p90 is not None else "")
        + ".",
    )


# --- pieces -------------------------------------------------------------------------------


def _section(pdf: _Document, title: str) -> None:
    pdf.ln(3)
    pdf.set_font(FACE, "B", 11)
    pdf.set_text_color(*INK)
    pdf.cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _note(pdf: _Document, text: str) -> None:
    pdf.set_font(FACE, "", 9)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(
    pdf: _Document,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
) -> None:
    pdf.set_font(FACE, "", 8.5)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE)
    with pdf.table(
        col_widths=tuple(widths),
        headings_style=FontFace(emphasis="BOLD", fill_color=BAND),
        line_height=5,
        borders_layout="HORIZONTAL_LINES",
        first_row_as_headings=True,
    ) as table:
        for values in [headings, *rows]:
            row = table.row()
            for value in values:
                row.cell(value)


def _signed_minutes(minutes: int, *, sign: bool = False) -> str:
    if minutes < 0:
        return "-" + format_minutes(-minutes)
    return ("+" if sign else "") + format_minutes(minutes)


def _month_name(month: str) -> str:
    year, number = month.split("-")
    return f"{date(int(year), int(number), 1):%B %Y}"
