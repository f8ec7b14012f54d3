"""/hourglass customer add, hours add, report, help and /balance over signed HTTP."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from handlers.local.standin import signed_headers, slash_command_body
from store.models import Customer, HourBlock
from tests.harness import AGENT, MANAGER, STRANGER


def count(database, model) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_manager_adds_customer_with_channel_and_seats(slack):
    reply = slack.command(
        "/hourglass customer add acme plan=professional channel=<#C1|acme> seats=2", MANAGER
    )
    assert reply.status == 200
    assert reply.body["response_type"] == "ephemeral"
    assert "Added customer *acme*" in reply.text and "2 seats" in reply.text
    with slack.database.session() as db:
        acme = db.scalar(select(Customer).where(Customer.name == "acme"))
        assert (acme.plan, acme.channel_id, acme.seats, acme.created_by) == (
            "professional",
            "C1",
            2,
            MANAGER,
        )


def test_seats_default_to_one(slack):
    slack.command("/hourglass customer add globex plan=lite", MANAGER)
    with slack.database.session() as db:
        assert db.scalar(select(Customer.seats).where(Customer.name == "globex")) == 1


@pytest.mark.parametrize("user", [STRANGER, AGENT])
def test_non_managers_are_refused_and_nothing_is_recorded(slack, user):
    reply = slack.command("/hourglass customer add acme plan=professional", user)
    assert reply.status == 200
    assert reply.text.startswith(":no_entry: Sorry, only")
    assert count(slack.database, Customer) == 0


def test_stranger_cannot_use_agent_commands(slack):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    reply = slack.command("/balance acme", STRANGER)
    assert "only support agents and managers" in reply.text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/hourglass customer add acme plan=gold", "There is no plan `gold`"),
        ("/hourglass customer add acme", "plan=<plan>"),
        ("/hourglass customer add acme plan=lite seats=0", "seats must be"),
        ("/hourglass customer add acme plan=lite seats=two", "seats must be a whole number"),
        ("/hourglass customer add acme plan=lite channel=general", "is not a channel"),
        ("/hourglass customer add acme';drop plan=lite", "not a valid customer name"),
        (
            "/hourglass customer add 'acme; drop table customers' plan=lite",
            "give one customer name",
        ),
        ("/hourglass customer add acme plan=lite colour=red", "unknown option"),
    ],
)
def test_bad_customer_add_is_one_line_with_usage_and_changes_nothing(slack, line, message):
    reply = slack.command(line, MANAGER)
    assert message.lower() in reply.text.lower()
    first, usage = reply.text.split("\n")
    assert first.startswith(":warning:")
    assert usage.startswith("Usage: `/hourglass customer add <name>")
    assert count(slack.database, Customer) == 0


def test_duplicate_customer_and_channel_are_refused(slack):
    slack.command("/hourglass customer add acme plan=lite channel=<#C1|acme>", MANAGER)
    assert (
        "already a customer"
        in slack.command("/hourglass customer add acme plan=lite", MANAGER).text
    )
    reply = slack.command("/hourglass customer add other plan=lite channel=<#C1|acme>", MANAGER)
    assert "already belongs to `acme`" in reply.text
    assert count(slack.database, Customer) == 1


def test_hours_add_with_purchase_date_and_ref(slack):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    reply = slack.command("/hourglass hours add acme 10 purchased 2026-08-30 ref=PO 1182", MANAGER)
    assert "Added block #1" in reply.text, reply.text
    assert "usable through Fri 27 Nov 2026 (expires Sat 28 Nov, 8 days left)" in reply.text
    with slack.database.session() as db:
        block = db.scalar(select(HourBlock))
        assert (block.minutes, str(block.purchased), str(block.expires), block.ref) == (
            600,
            "2026-08-30",
            "2026-11-28",
            "PO 1182",
        )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/hourglass hours add acme ten", "not a number of hours"),
        ("/hourglass hours add acme -5", "more than 0"),
        ("/hourglass hours add acme 0", "more than 0"),
        ("/hourglass hours add acme 99999", "at most"),
        # Only ASCII digits and one point: no exponent, and no other script's digits.
        ("/hourglass hours add acme 1e9", "not a number of hours"),
        ("/hourglass hours add acme ١٠", "not a number of hours"),
        ("/hourglass hours add acme 0.001", "whole number of minutes"),
        ("/hourglass hours add nobody 5", "no customer called `nobody`"),
        ("/hourglass hours add acme 5 purchased 2026-13-01", "not a date"),
        ("/hourglass hours add acme 5 purchased 2030-01-01", "cannot be in the future"),
        ("/hourglass hours add acme 5 bought today", "give a customer and a number of hours"),
    ],
)
def test_bad_hours_add_changes_nothing(slack, line, message):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    reply = slack.command(line, MANAGER)
    assert message.lower() in reply.text.lower(), reply.text
    assert "Usage: `/hourglass hours add" in reply.text
    assert count(slack.database, HourBlock) == 0


def test_balance_lists_blocks(slack):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    slack.command("/hourglass hours add acme 10 purchased 2026-08-30", MANAGER)
    reply = slack.command("/balance acme", AGENT)
    assert "#1: 10h bought 2026-08-30, expires 2026-11-28 — 10h left (active)" in reply.text
    assert "Remaining: *10h*" in reply.text
    assert "Usage: `/balance <customer>`" in slack.command("/balance", AGENT).text
    assert "no customer called `nobody`" in slack.command("/balance nobody", AGENT).text


def test_report_replies_with_text_and_sends_csv_to_the_managers_dm(slack, standin):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    slack.command("/hourglass hours add acme 10 purchased 2026-08-30", MANAGER)
    reply = slack.command("/hourglass report acme 2026-11", MANAGER)
    assert reply.text.startswith("Statement for acme, 2026-11")
    # The upload is made after the ack; its line follows through response_url.
    assert "CSV sent to you" in standin.responses[-1]["text"]
    (upload,) = standin.calls_to("files.completeUploadExternal")
    assert upload.params["channel_id"] == "D" + MANAGER[1:]
    (content,) = standin.uploads.values()
    assert content.decode().startswith("section,date,item")
    assert (
        "Usage: `/hourglass report" in slack.command("/hourglass report acme 11-2026", MANAGER).text
    )


def test_help_and_unknown_subcommand(slack):
    assert "/timer start" in slack.command("/hourglass help", AGENT).text
    assert "Try `/hourglass help`" in slack.command("/hourglass frobnicate", MANAGER).text


def test_unsigned_and_badly_signed_requests_get_401_and_change_nothing(slack):
    body = slash_command_body("/hourglass", "customer add acme plan=lite", user_id=MANAGER)
    assert slack.post(body, {"content-type": "application/x-www-form-urlencoded"}).status == 401
    assert slack.post(body, signed_headers("wrong-secret", body, int(time.time()))).status == 401
    stale = signed_headers("test-signing-secret", body, int(time.time()) - 3600)
    assert slack.post(body, stale).status == 401
    assert count(slack.database, Customer) == 0


def test_unknown_command_is_404(slack):
    assert slack.command("/nonsense", MANAGER).status == 404


def test_report_upload_failure_still_answers_with_the_statement(slack, standin):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    standin.fail_next("files.getUploadURLExternal", "not_allowed_token_type")
    reply = slack.command("/hourglass report acme 2026-11", MANAGER)
    assert reply.text.startswith("Statement for acme, 2026-11")
    assert "The CSV could not be attached" in standin.responses[-1]["text"]


def test_report_for_an_implausible_month_is_refused_not_a_crash(slack):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    reply = slack.command("/hourglass report acme 9999-12", MANAGER)
    assert reply.status == 200
    assert "not a plausible month" in reply.text and "Usage: `/hourglass report" in reply.text


def test_a_statement_lists_only_blocks_bought_by_the_months_end(slack):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    slack.command("/hourglass hours add acme 10 purchased 2026-11-10", MANAGER)
    from bot.customers import get_customer
    from bot.reports.statement import build_statement

    with slack.database.session() as db:
        acme = get_customer(db, "acme")
        october = build_statement(db, slack.policy, acme, 2026, 10, slack.clock.now())
        november = build_statement(db, slack.policy, acme, 2026, 11, slack.clock.now())
    assert october["blocks"] == []
    assert [b["purchased"] for b in november["blocks"]] == ["2026-11-10"]


def test_purchased_after_ref_is_still_the_purchase_date(slack):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    slack.command("/hourglass hours add acme 10 ref=PO 77 purchased 2026-11-01", MANAGER)
    slack.command("/hourglass hours add acme 5 ref=bought and purchased by Jo", MANAGER)
    with slack.database.session() as db:
        blocks = list(db.scalars(select(HourBlock).order_by(HourBlock.id)))
    assert [(str(b.purchased), b.ref) for b in blocks] == [
        ("2026-11-01", "PO 77"),
        ("2026-11-20", "bought and purchased by Jo"),
    ]
