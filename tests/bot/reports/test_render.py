"""The statement as text and CSV says what the JSON says, in a support team's words."""

from __future__ import annotations

from bot.reports.render import render_csv, render_text

STATEMENT = {
    "customer": "acme",
    "month": "2026-11",
    "currency": "GBP",
    "plan": "professional",
    "days": [{"date": "2026-11-20", "logged_minutes": 35, "billed_minutes": 60}],
    "sessions": [],
    "billed_minutes": 60,
    "overage_minutes": 0,
    "amount": "0.00",
    "blocks": [],
    "calls": [
        {
            "caller": "jane",
            "calls": 5,
            "seconds": 3660,
            "long_calls": 1,
            "allowance_minutes": 45,
            "status": "review",
            "avg_quality": 4.5,
        },
        {
            "caller": "joe",
            "calls": 1,
            "seconds": 1200,
            "long_calls": 1,
            "allowance_minutes": 0,
            "status": "not_covered",
            "avg_quality": None,
        },
    ],
    "sla": {"tickets": 0},
}


def test_text_names_call_status_quality_and_uncovered_calls():
    text = render_text(STATEMENT)
    assert "2026-11-20: 35m logged → 1h billed" in text
    assert (
        "jane: 5 calls, 1h 1m of 45m allowance (flagged for review), 1 long, average quality 4.5/5"
        in text
    )
    assert "joe: 1 call, 20m (not covered by the plan)" in text


def test_csv_carries_long_calls_and_quality():
    rows = render_csv(STATEMENT).splitlines()
    assert rows[0] == "section,date,item,logged_minutes,billed_minutes,detail"
    assert "calls,,jane,61,,5 calls; 1 long; review; quality 4.5" in rows
