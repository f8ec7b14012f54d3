"""The PDF statement drawn from a known statement (issue 13 item 5): its text, read back with
pypdf, carries every amount exactly as the statement (and so the JSON) says it, the sections
a customer is invoiced from, and fits a busy month on two pages."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pypdf

from bot.reports.pdf import statement_pdf
from bot.reports.render import render

LONDON = ZoneInfo("Europe/London")


def _statement(days: int = 3, sessions: int = 1):
    first = date(2026, 11, 1)
    return {
        "customer": "zoë-café",
        "month": "2026-11",
        "currency": "EUR",
        "plan": "professional",
        "as_of": "2026-11-30",
        "days": [
            {
                "date": (first + timedelta(days=n)).isoformat(),
                "logged_minutes": 35,
                "billed_minutes": 60,
            }
            for n in range(days)
        ],
        "sessions": [
            {
                "id": str(10 + n),
                "start": f"2026-11-{n + 2:02d}T15:00:00+00:00",
                "minutes": 60,
                "engineers": 2,
                "kind": "training" if n == 0 else "session",
                "status": "held",
                "billed_minutes": 120,
            }
            for n in range(sessions)
        ]
        + [
            {
                "id": "99",
                "start": "2026-11-25T09:00:00+00:00",
                "minutes": 60,
                "engineers": 1,
                "kind": "session",
                "status": "late_cancelled",
                "billed_minutes": 0,
                "waived": {
                    "by": "UMANAGER1",
                    "on": "2026-11-25T10:00:00+00:00",
                    "reason": "snow — office closed",
                    "minutes": 30,
                },
            }
        ],
        "billed_minutes": 300,
        "overage_minutes": 90,
        "amount": "271.67",
        "overage_amount": "136.67",
        "training_amount": "180.00",
        "blocks": [
            {
                "id": "1",
                "hours": 10,
                "purchased": "2026-08-30",
                "expires": "2026-11-28",
                "used_minutes": 540,
                "remaining_minutes": 0,
                "forfeited_minutes": 60,
                "status": "expired",
            }
        ],
        "calls": [
            {
                "caller": "jane",
                "calls": 4,
                "seconds": 4000,
                "long_calls": 1,
                "allowance_minutes": 45,
                "status": "review",
                "avg_quality": 4.0,
            }
        ],
        "training_calls": [
            {
                "id": "7",
                "caller": "jane",
                "start": "2026-11-12T11:00:00+00:00",
                "seconds": 1500,
                "billed_minutes": 30,
                "amount": "30.00",
                "billed_by": "UMANAGER1",
                "billed_at": "2026-11-12T12:00:00+00:00",
            }
        ],
        "sla": {
            "tickets": 3,
            "responded": 2,
            "breached": 1,
            "within_target_ratio": 0.667,
            "p90_first_response_minutes": 270,
        },
        "adjustments": [
            {
                "month": "2026-10",
                "billed_minutes": -30,
                "overage_minutes": -30,
                "amount": "-45.00",
                "reason": "a /log on 2026-10-03 was undone",
            }
        ],
        "issued": {"on": "2026-12-01T09:00:00+00:00", "by": "UMANAGER1"},
    }


def _text(content: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_every_amount_is_the_statements_to_the_penny():
    statement = _statement()
    pages, text = _text(statement_pdf(statement, "Hourglass Support", LONDON))
    assert pages == 1
    # The same object renders the JSON: the PDF's amounts are its strings, not recomputed.
    figures = json.loads(render(statement, "json"))
    assert f"Amount due {figures['amount']} EUR" in text
    assert f"Overage amount {figures['overage_amount']} EUR" in text
    assert f"Training amount {figures['training_amount']} EUR" in text
    assert f"Adjustment for 2026-10 {figures['adjustments'][0]['amount']} EUR" in text
    assert "#7 2026-11-12 jane 25m 30m 30.00 EUR" in text


def test_the_sections_an_invoice_is_read_from():
    pages, text = _text(statement_pdf(_statement(), "Hourglass Support", LONDON))
    assert text.startswith("Hourglass Support\nStatement for zoë-café, November 2026")
    assert "Issued 2026-12-01: final" in text
    assert "2026-11-01 35m 1h" in text  # logged vs billed, per day
    # Sessions at their provider-local start (15:00 UTC is 15:00 in London in November).
    assert "#10 2026-11-02 15:00 training 1h × 2 held 2h" in text
    assert "charge waived: snow — office closed" in " ".join(text.split())  # wrapped cell
    assert "#1 2026-08-30 2026-11-28 10h 9h 0m 1h expired" in text  # used, left, forfeited
    assert "jane 4 1h 7m 1 45m flagged for review" in text
    assert "3 tickets, 2 responded, 1 breached; 66.7% within target" in text
    assert "All amounts in EUR. Times in Europe/London." in text


def test_a_busy_month_fits_on_two_pages_and_a_quiet_one_says_what_is_missing():
    pages, text = _text(
        statement_pdf(_statement(days=30, sessions=12), "Hourglass Support", LONDON)
    )
    assert pages == 2
    assert "page 2 of 2" in text
    quiet = {**_statement(days=0, sessions=0), "blocks": [], "calls": [], "training_calls": []}
    quiet["sessions"] = []
    quiet["sla"] = {"tickets": 0, "responded": 0, "breached": 0}
    del quiet["overage_amount"], quiet["training_amount"]  # issued before they existed
    _, text = _text(statement_pdf(quiet, "Hourglass Support", LONDON))
    assert "No hour blocks bought." in text and "No tickets this month." in text
    assert "Overage amount" not in text and "Amount due 271.67 EUR" in text


def test_the_same_statement_gives_the_same_pdf():
    statement = _statement()
    assert statement_pdf(statement, "Hourglass Support", LONDON) == statement_pdf(
        statement, "Hourglass Support", LONDON
    )
