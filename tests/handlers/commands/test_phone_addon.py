"""The telephone add-on (seed 000, issue 10 item 6) over signed HTTP on both databases:
`/hourglass customer set <name> phone=on|off|plan`, fair use, /balance and the statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.customers import get_customer
from bot.reports.statement import build_statement
from store.models import Alert, Customer, PhoneCall
from tests.harness import AGENT, MANAGER, STRANGER

USAGE = "Usage: `/hourglass customer set <name> phone=on|off|plan`"


def calls_rows(slack, customer="globex"):
    with slack.database.session() as db:
        statement = build_statement(
            db, slack.policy, get_customer(db, customer), 2026, 11, slack.clock.now()
        )
        return [(r["caller"], r["seconds"], r["status"]) for r in statement["calls"]]


def phone_row(slack, name="globex"):
    with slack.database.session() as db:
        customer = db.scalar(select(Customer).where(Customer.name == name))
        return customer.phone_support, customer.phone_support_by, customer.phone_support_at


def alert_keys(database) -> list[str]:
    with database.session() as db:
        return sorted(db.scalars(select(Alert.key)))


@pytest.fixture
def globex(slack):
    reply = slack.command("/hourglass customer add globex plan=lite channel=<#CGLOBEX|g>", MANAGER)
    assert "no phone support" in reply.text
    return slack


def test_done_when_lite_with_phone_on_counts_calls_and_off_reverts(globex):
    slack = globex
    assert "*not covered* by the lite plan" in slack.command("/call 20m globex joe").text
    assert "Phone support: no." in slack.command("/balance globex").text

    reply = slack.command("/hourglass customer set globex phone=on", MANAGER)
    assert reply.text == (
        ":telephone_receiver: *globex* (lite plan) phone support: yes (add-on, set by "
        "<@UMANAGER1> on Fri 20 Nov 2026). Calls recorded from now on count towards fair use. "
        "Undo with `/hourglass customer set globex phone=plan`."
    )
    assert phone_row(slack) == (True, MANAGER, slack.clock.now())

    slack.clock.advance(timedelta(minutes=5))
    reply = slack.command("/call 50m globex jane")
    assert "jane: 50m this month (2026-11) of 45m allowance — over allowance." in reply.text
    assert "not covered" not in reply.text
    reply = slack.command("/call 10m globex joe")  # his uncovered 20 minutes do not count
    assert "joe: 10m this month (2026-11) of 45m allowance — within allowance." in reply.text
    assert calls_rows(slack) == [
        ("jane", 3000, "over_allowance"),
        ("joe", 600, "within"),
        ("joe", 1200, "not_covered"),  # recorded before the add-on: it keeps its cover
    ]
    assert "fair_use_allowance:1:jane:2026-11" in alert_keys(slack.database)
    balance = slack.command("/balance globex").text
    assert "Phone support: yes (add-on, set by <@UMANAGER1> on Fri 20 Nov 2026)." in balance
    assert "• jane: 1 call, 50m of 45m — over allowance" in balance
    assert "• joe: 1 call, 10m of 45m — within allowance" in balance

    slack.clock.advance(timedelta(hours=1))
    reply = slack.command("/hourglass customer set globex phone=off", MANAGER)
    assert "phone support: no (add-on removed by <@UMANAGER1> on Fri 20 Nov 2026)" in reply.text
    assert "Undo with `/hourglass customer set globex phone=on`" in reply.text
    assert phone_row(slack) == (False, MANAGER, slack.clock.now())
    reply = slack.command("/call 5m globex jane")
    assert "*not covered* by the lite plan and globex has no phone add-on" in reply.text
    assert calls_rows(slack) == [
        ("jane", 3000, "over_allowance"),
        ("joe", 600, "within"),
        ("jane", 300, "not_covered"),
        ("joe", 1200, "not_covered"),
    ]
    assert "Phone support: no (add-on removed by <@UMANAGER1>" in (
        slack.command("/balance globex").text
    )

    reply = slack.command("/hourglass customer set globex phone=plan", MANAGER)
    assert "phone support: no. " in reply.text
    assert "Undo with `/hourglass customer set globex phone=off`" in reply.text
    assert phone_row(slack) == (None, MANAGER, slack.clock.now())
    assert "Phone support: no." in slack.command("/balance globex").text


def test_a_timer_on_a_lite_customer_with_the_add_on_is_covered(globex):
    slack = globex
    assert "does not include phone support" in slack.command("/timer start globex joe").text
    slack.command("/timer discard")
    slack.command("/hourglass customer set globex phone=on", MANAGER)
    assert "does not include phone support" not in slack.command("/timer start globex joe").text
    slack.clock.advance(timedelta(minutes=16))
    reply = slack.command("/timer stop")
    assert "a *long call* (over 15m)" in reply.text
    with slack.database.session() as db:
        assert db.scalar(select(PhoneCall.covered)) is True
    assert alert_keys(slack.database) == ["long_call:1"]


@pytest.mark.parametrize("user", [STRANGER, AGENT])
def test_only_managers_set_phone_support(globex, user):
    reply = globex.command("/hourglass customer set globex phone=on", user)
    assert reply.text.startswith(":no_entry: Sorry, only")
    assert phone_row(globex) == (None, None, None)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/hourglass customer set globex phone=maybe", "`phone=` takes on, off or plan"),
        ("/hourglass customer set globex phone=", "`phone=` takes on, off or plan"),
        ("/hourglass customer set globex", "give one customer name and phone=on, off or plan"),
        ("/hourglass customer set phone=on", "give one customer name"),
        ("/hourglass customer set globex acme phone=on", "give one customer name"),
        ("/hourglass customer set globex phone=on seats=3", "unknown option `seats=`"),
        ("/hourglass customer set nobody phone=on", "there is no customer called `nobody`"),
    ],
)
def test_bad_phone_setting_is_one_line_with_usage_and_changes_nothing(globex, line, message):
    reply = globex.command(line, MANAGER)
    first, usage = reply.text.split("\n")
    assert first.startswith(":warning:") and message.lower() in first.lower()
    assert usage == USAGE
    assert phone_row(globex) == (None, None, None)


@pytest.mark.parametrize("value", ["on", "off"])
def test_a_plan_that_includes_phone_support_has_no_add_on_to_set(slack, value):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    reply = slack.command(f"/hourglass customer set acme phone={value}", MANAGER)
    assert "The professional plan includes phone support, so there is no add-on" in reply.text
    assert reply.text.endswith(USAGE)
    assert phone_row(slack, "acme") == (None, None, None)
    assert "Phone support: yes (plan)." in slack.command("/balance acme").text
    reply = slack.command("/hourglass customer set acme phone=plan", MANAGER)
    assert reply.text == "Nothing changed: *acme* phone support is already yes (plan)."


def test_setting_the_same_value_again_keeps_who_and_when(globex):
    slack = globex
    slack.command("/hourglass customer set globex phone=on", MANAGER)
    first = phone_row(slack)
    slack.clock.advance(timedelta(days=1))
    reply = slack.command("/hourglass customer set globex phone=ON", MANAGER)
    assert reply.text.startswith("Nothing changed: *globex* phone support is already yes (add-on")
    assert phone_row(slack) == first
    with slack.database.session() as db:
        assert db.scalar(select(func.count()).select_from(PhoneCall)) == 0
