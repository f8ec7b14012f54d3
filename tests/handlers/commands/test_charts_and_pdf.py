"""Charts and PDF statements in Slack (issue 13 items 3 and 5), over signed HTTP on both
databases: what the stand-in received is a real PNG or PDF, uploaded after the ack into the
channel it was asked in, and never into the customer's shared channel."""

from __future__ import annotations

import io
import re
import time
from datetime import date, timedelta
from decimal import Decimal

import pypdf
from PIL import Image

from bot.customers import get_customer
from bot.insights import charts
from bot.insights.series import attainment_chart, balance_chart
from bot.reports.issued import monthly_statement
from tests import factories
from tests.harness import AGENT, MANAGER

DM_AGENT, DM_MANAGER = "D" + AGENT[1:], "D" + MANAGER[1:]


def _png(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def _with_hours(acme):
    acme.command("/hourglass hours add acme 10 purchased 2026-10-01", MANAGER)
    acme.command("/log 2h acme on 2026-10-20", AGENT)
    acme.command("/log 90m acme on 2026-11-09", AGENT)
    return acme


def test_balance_chart_is_uploaded_into_the_teams_channel_as_a_png(acme, standin):
    _with_hours(acme)
    reply = acme.command("/balance acme chart", AGENT, channel=factories.ACME_TEAM)
    assert reply.text == ":bar_chart: Drawing the hours chart for *acme*…"
    (shared,) = standin.files()
    assert shared.channel == factories.ACME_TEAM
    assert shared.filename == "hourglass-acme-hours-2026-11-20.png"
    assert _png(shared.content).size == charts.PIXELS
    assert f"posted in <#{factories.ACME_TEAM}>" in acme.said(reply)


def test_a_chart_asked_for_in_the_customers_shared_channel_goes_to_the_askers_dm(acme, standin):
    _with_hours(acme)
    reply = acme.command("/balance acme chart", AGENT, channel=factories.ACME_CHANNEL)
    (shared,) = standin.files()
    assert shared.channel == DM_AGENT
    assert standin.files(factories.ACME_CHANNEL) == []
    assert _png(shared.content).format == "PNG"
    assert "this channel is shared with the customer" in acme.said(reply)


def test_a_channel_that_refuses_the_upload_falls_back_to_the_dm(acme, standin):
    standin.fail_next("files.completeUploadExternal", "not_in_channel")
    reply = acme.command("/balance acme chart", AGENT, channel="CELSEWHERE")
    (shared,) = standin.files()
    assert shared.channel == DM_AGENT
    assert "would not take it: not_in_channel" in acme.said(reply)


def test_the_balance_reply_has_a_chart_button_that_uploads_where_it_was_pressed(acme, standin):
    _with_hours(acme)
    reply = acme.command("/balance acme", AGENT, channel=factories.ACME_TEAM)
    (button,) = [
        element
        for block in reply.body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert (button["action_id"], button["value"]) == ("chart_balance", "acme")
    acme.interaction(
        {
            "type": "block_actions",
            "team": {"id": "T00000001"},
            "user": {"id": AGENT, "name": "alex"},
            "api_app_id": "A00000001",
            "token": "legacy-unused",
            "trigger_id": f"{time.time()}.chart",
            "container": {"type": "message", "channel_id": factories.ACME_TEAM},
            "channel": {"id": factories.ACME_TEAM, "name": "acme-team"},
            "response_url": standin.response_url("chart"),
            "actions": [
                {
                    "type": "button",
                    "action_id": "chart_balance",
                    "block_id": "b1",
                    "value": "acme",
                    "action_ts": str(time.time()),
                }
            ],
        }
    )
    (shared,) = standin.files()
    assert shared.channel == factories.ACME_TEAM
    assert _png(shared.content).size == charts.PIXELS
    assert "posted in" in standin.responses_to["chart"][-1]["text"]


def test_the_chart_button_from_app_home_sends_it_to_the_dm(acme, standin):
    _with_hours(acme)
    acme.action("chart_balance", "acme", MANAGER, container={"type": "view"}, response_url=False)
    (shared,) = standin.files()
    assert shared.channel == DM_MANAGER
    assert _png(shared.content).size == charts.PIXELS


def test_the_chart_data_is_the_ledgers_history_and_the_forecasts_projection(acme, clock):
    _with_hours(acme)
    with acme.database.session() as db:
        data = balance_chart(db, acme.policy, get_customer(db, "acme"), clock.now())
    (block,) = data.blocks
    assert block.label == "#1 10h" and block.expires == date(2026, 12, 30)
    assert list(block.history) == [
        (date(2026, 10, 1), Decimal("10.00")),
        (date(2026, 10, 20), Decimal("8.00")),
        (date(2026, 11, 9), Decimal("6.50")),
        (date(2026, 11, 20), Decimal("6.50")),
    ]
    # 3h30m over the 8 whole weeks before this one: the dashed line falls from 6.5h and
    # ends at the expiry with what the forecast says is forfeited.
    assert block.projection[0] == (date(2026, 11, 20), Decimal("6.50"))
    assert block.projection[-1][0] == date(2026, 12, 30)
    assert Decimal(0) < block.projection[-1][1] < Decimal("6.50")


def test_ticket_report_chart_shows_twelve_months_against_the_goal(acme, standin, clock):
    acme.command("/ticket open acme priority Login fails", AGENT)
    clock.advance(timedelta(hours=1))
    acme.command("/ticket respond 1", AGENT)
    reply = acme.command("/ticket report acme chart", MANAGER, channel=factories.ACME_TEAM)
    assert reply.text == ":bar_chart: Drawing the SLA chart for *acme*…"
    (shared,) = standin.files(factories.ACME_TEAM)
    assert shared.filename == "hourglass-acme-sla-2026-11.png"
    assert _png(shared.content).size == charts.PIXELS
    with acme.database.session() as db:
        data = attainment_chart(db, acme.policy, get_customer(db, "acme"), clock.now())
    assert len(data.months) == 12 and data.goal_share == 0.9
    assert data.months[0].month == date(2025, 12, 1)
    assert (data.months[-1].ratio, data.months[-1].tickets) == (1.0, 1)
    assert all(m.ratio is None for m in data.months[:-1])


def test_the_sla_chart_is_for_managers(acme, standin):
    reply = acme.command("/ticket report acme chart", AGENT, channel=factories.ACME_TEAM)
    assert "manager" in reply.text.lower()
    assert standin.files() == []
    acme.command("/hourglass sla acme chart", MANAGER, channel=factories.ACME_CHANNEL)
    (shared,) = standin.files()
    assert shared.channel == DM_MANAGER  # asked in the shared channel


def _amounts(text: str) -> dict[str, str]:
    found = {}
    for label, key in (
        ("Amount due", "amount"),
        ("Overage amount", "overage_amount"),
        ("Training amount", "training_amount"),
    ):
        match = re.search(rf"{label} (-?\d+\.\d\d) GBP", text)
        assert match, (label, text)
        found[key] = match.group(1)
    return found


def test_report_pdf_is_sent_to_the_managers_dm_with_the_json_statements_amounts(
    acme, standin, clock
):
    acme.command("/hourglass hours add acme 2 purchased 2026-11-02", MANAGER)
    acme.command("/log 3h acme on 2026-11-10", AGENT)
    acme.command("/log 5m acme on 2026-11-11", AGENT)
    acme.command("/log 25m acme on 2026-11-11", AGENT)
    reply = acme.command("/hourglass report acme 2026-11 pdf", MANAGER, factories.ACME_CHANNEL)
    assert reply.text.startswith("Statement for acme, 2026-11")
    (shared,) = standin.files()
    assert shared.channel == DM_MANAGER
    assert shared.filename == "hourglass-acme-2026-11.pdf"
    assert "PDF statement is sent to you" in acme.said(reply)
    pdf = pypdf.PdfReader(io.BytesIO(shared.content))
    assert 1 <= len(pdf.pages) <= 2
    text = "\n".join(page.extract_text() for page in pdf.pages)
    with acme.database.session() as db:
        statement = monthly_statement(
            db, acme.policy, get_customer(db, "acme"), 2026, 11, clock.now()
        ).statement
    assert _amounts(text) == {
        key: statement[key] for key in ("amount", "overage_amount", "training_amount")
    }
    assert statement["amount"] == "135.00"  # 1h30m over the 2h block, at 90.00 an hour
    assert text.startswith(acme.policy.name)
    assert "Statement for acme, November 2026" in text
    assert "2026-11-11 30m 30m" in text  # 5m + 25m logged, billed as one day's 30m
    assert "#1 2026-11-02 2026-01-31" not in text and "#1 2026-11-02 2027-01-31 2h" in text
