"""Frozen statements (issue 16, item 2): `/hourglass report <customer> <YYYY-MM> issue` and
`hourglass report --issue` freeze a month's statement; later changes land in the next open
month as adjustments. Over signed HTTP and the CLI, on SQLite and Postgres."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

import app as hourglass_app
from store.models import IssuedStatement
from tests.harness import AGENT, MANAGER, STRANGER

REASON = "because the figures changed after it was issued"


@pytest.fixture
def report(acme, monkeypatch, capsys):
    """`hourglass report --customer acme ARGS` in this process, on the test's database: the
    exit code, stdout and the last line on stderr."""

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", acme.database.url)
        monkeypatch.setenv("LOG_LEVEL", "WARNING")
        capsys.readouterr()
        code = hourglass_app.main(["report", "--customer", "acme", *args])
        out = capsys.readouterr()
        return code, out.out, out.err.strip().splitlines()[-1] if out.err.strip() else ""

    return run


def issued_rows(slack) -> list[IssuedStatement]:
    with slack.database.session() as db:
        rows = list(db.scalars(select(IssuedStatement).order_by(IssuedStatement.month)))
        db.expunge_all()
        return rows


def slack_text(slack, line: str) -> str:
    """The statement part of a /hourglass report reply (without the CSV note)."""
    return slack.command(line, MANAGER).text.rsplit("\n_", 1)[0]


def test_an_issued_month_is_byte_identical_after_a_back_dated_entry(acme, report):
    acme.command("/log 1h acme on 2026-10-15", AGENT)
    reply = acme.command("/hourglass report acme 2026-10 issue", MANAGER)
    assert reply.text.startswith(":lock: Issued acme's statement for 2026-10 (sha256 ")
    assert "Issued on 2026-11-20 10:00 UTC by <@UMANAGER1>" in reply.text
    code, before, _ = report("--month", "2026-10", "--format", "json")
    assert code == 0
    text_before = slack_text(acme, "/hourglass report acme 2026-10")
    csv_before = report("--month", "2026-10", "--format", "csv")[1]

    acme.command("/log 30m acme on 2026-10-16", AGENT)

    assert report("--month", "2026-10", "--format", "json")[1] == before
    assert report("--month", "2026-10", "--format", "csv")[1] == csv_before
    assert slack_text(acme, "/hourglass report acme 2026-10") == text_before
    frozen = json.loads(before)
    assert (frozen["billed_minutes"], frozen["overage_minutes"], frozen["amount"]) == (
        60,
        60,
        "90.00",
    )
    assert frozen["issued"] == {"on": "2026-11-20T10:00:00+00:00", "by": MANAGER}
    (row,) = issued_rows(acme)
    assert row.sha256 == hashlib.sha256(before.removesuffix("\n").encode()).hexdigest()
    assert (row.issued_by, row.issued_at) == (MANAGER, datetime(2026, 11, 20, 10, tzinfo=UTC))

    november = json.loads(report("--month", "2026-11", "--format", "json")[1])
    assert november["adjustments"] == [
        {
            "month": "2026-10",
            "billed_minutes": 30,
            "overage_minutes": 30,
            "amount": "45.00",
            "reason": "the figures changed after it was issued",
        }
    ]
    assert (november["billed_minutes"], november["overage_minutes"], november["amount"]) == (
        30,
        30,
        "45.00",
    )
    text = slack_text(acme, "/hourglass report acme 2026-11")
    assert f"  adjustment for 2026-10: +30m, +45.00 GBP (overage +30m), {REASON}" in text
    assert "Billed: 30m; overage 30m; amount due 45.00 GBP" in text
    assert "Issued on" not in text
    assert "This month: 30m billed, 30m overage; 45.00 GBP to invoice" in (
        acme.command("/balance acme", AGENT).text
    )


def test_the_cli_issues_and_both_edges_show_who_issued_it(acme, report):
    acme.command("/log 1h acme on 2026-10-15", AGENT)
    code, out, err = report("--month", "2026-10", "--format", "text", "--issue")
    assert code == 0
    assert err.startswith("hourglass: issued acme's statement for 2026-10 (sha256 ")
    assert "\nIssued on " in out and " UTC by cli: this statement no longer changes" in out
    assert "sha256 of the issued JSON: " in out
    slack = acme.command("/hourglass report acme 2026-10", MANAGER).text
    assert " UTC by cli: this statement no longer changes" in slack
    (row,) = issued_rows(acme)
    assert row.issued_by == "cli"

    code, again, err = report("--month", "2026-10", "--issue")
    assert (
        code == 0
        and "hourglass: already issued: acme's statement" in err
        and "by cli; nothing changed." in err
    )
    assert hashlib.sha256(again.removesuffix("\n").encode()).hexdigest() == row.sha256
    assert len(issued_rows(acme)) == 1


def test_issuing_twice_changes_nothing_and_says_so(acme):
    acme.command("/hourglass report acme 2026-10 issue", MANAGER)
    (first,) = issued_rows(acme)
    acme.clock.set(datetime(2026, 11, 21, 9, tzinfo=UTC))
    reply = acme.command("/hourglass report acme 2026-10 issue", MANAGER)
    assert reply.text.startswith(
        ":information_source: Already issued: acme's statement for 2026-10 was issued on "
        "2026-11-20 10:00 UTC by <@UMANAGER1>; nothing changed."
    )
    (row,) = issued_rows(acme)
    assert (row.json, row.issued_at) == (first.json, first.issued_at)


@pytest.mark.parametrize("user", [AGENT, STRANGER])
def test_a_non_manager_cannot_issue(acme, user):
    reply = acme.command("/hourglass report acme 2026-10 issue", user)
    assert reply.text.startswith(":no_entry: Sorry, only")
    assert issued_rows(acme) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/hourglass report acme 2026-11 issue", "2026-11 has not ended yet"),
        ("/hourglass report acme 2026-12 issue", "2026-12 has not ended yet"),
        ("/hourglass report acme issue", "give the month to issue"),
        ("/hourglass report acme 2026-10 freeze", "give a customer, optionally a month"),
    ],
)
def test_a_month_that_has_not_ended_or_bad_words_cannot_issue(acme, line, message):
    reply = acme.command(line, MANAGER)
    first, usage = reply.text.split("\n")
    assert first.startswith(":warning:") and message.lower() in first.lower()
    assert usage == "Usage: `/hourglass report <customer> [YYYY-MM] [issue] [pdf]`"
    assert issued_rows(acme) == []


def test_an_undo_after_issuing_is_a_credit_in_the_next_open_month(acme):
    acme.command("/log 1h acme on 2026-10-15", AGENT)
    acme.command("/hourglass report acme 2026-10 issue", MANAGER)
    acme.command("/log undo", AGENT)
    text = slack_text(acme, "/hourglass report acme 2026-11")
    assert f"  adjustment for 2026-10: -1h, -90.00 GBP (overage -1h), {REASON}" in text
    assert "Billed: -1h; overage -1h; amount due -90.00 GBP" in text
    assert "Billed: 1h; overage 1h; amount due 90.00 GBP" in (
        slack_text(acme, "/hourglass report acme 2026-10")
    )


def test_a_block_bought_earlier_adjusts_the_amount_not_the_billed_time(acme):
    acme.command("/log 1h acme on 2026-10-15", AGENT)
    acme.command("/hourglass report acme 2026-10 issue", MANAGER)
    acme.command("/hourglass hours add acme 10 purchased 2026-10-01", MANAGER)
    text = slack_text(acme, "/hourglass report acme 2026-11")
    assert f"  adjustment for 2026-10: +0m, -90.00 GBP (overage -1h), {REASON}" in text
    assert "Billed: 0m; overage -1h; amount due -90.00 GBP" in text


def test_a_change_is_carried_once_across_issued_months(acme, report):
    acme.command("/log 1h acme on 2026-10-15", AGENT)
    acme.command("/hourglass report acme 2026-10 issue", MANAGER)
    acme.command("/log 30m acme on 2026-10-16", AGENT)  # carried by November
    acme.clock.set(datetime(2026, 12, 2, 10, tzinfo=UTC))
    acme.command("/hourglass report acme 2026-11 issue", MANAGER)
    november = report("--month", "2026-11", "--format", "json")[1]
    assert [a["month"] for a in json.loads(november)["adjustments"]] == ["2026-10"]
    assert json.loads(november)["amount"] == "45.00"

    acme.command("/log 1h acme on 2026-10-17", AGENT)  # after both were issued
    assert report("--month", "2026-11", "--format", "json")[1] == november
    december = json.loads(report("--month", "2026-12", "--format", "json")[1])
    assert [(a["month"], a["billed_minutes"], a["amount"]) for a in december["adjustments"]] == [
        ("2026-10", 60, "90.00")
    ]
    assert december["amount"] == "90.00"


def test_open_months_keep_their_keys_and_gain_an_empty_adjustments_list(acme, report):
    acme.command("/log 1h acme on 2026-11-19", AGENT)
    data = json.loads(report("--month", "2026-11", "--format", "json")[1])
    assert list(data)[-1] == "adjustments" and data["adjustments"] == []
    assert "issued" not in data
    with acme.database.session() as db:
        assert db.scalar(select(func.count()).select_from(IssuedStatement)) == 0
