"""Long calls billed as training (issue 10 item 4, seed 000: calls over 15 minutes "might be
deemed as training rather than support"; training is "chargeable at £60 (ex VAT) per hour").
Over signed HTTP, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.customers import get_customer
from bot.reports.render import render_csv, render_text
from bot.reports.statement import build_statement
from store.models import Alert, PhoneCall
from tests.harness import AGENT, MANAGER

ISSUED = "2026-11-20T10:00:00+00:00"  # the test clock's now, when the decisions are made


def statement(slack, customer="acme"):
    with slack.database.session() as db:
        return build_statement(
            db, slack.policy, get_customer(db, customer), 2026, 11, slack.clock.now()
        )


def billing_of(slack, call_id=1):
    with slack.database.session() as db:
        call = db.get(PhoneCall, call_id)
        return call.billed_as, call.billed_by, call.billed_at


def alert_states(slack) -> dict[str, str]:
    with slack.database.session() as db:
        return {alert.key: alert.state for alert in db.scalars(select(Alert))}


@pytest.fixture
def acme(slack):
    reply = slack.command(
        "/hourglass customer add acme plan=professional channel=<#CACME|acme> "
        "team=<#CACMETEAM|acme-team>",
        MANAGER,
    )
    assert "Added customer *acme*" in reply.text
    return slack


@pytest.fixture
def two_calls(acme):
    """jane: a 20-minute long call (#1) and a 28-minute one (#2): 48m, over the allowance."""
    first = acme.command("/call 20m acme jane")
    assert "Call #1; a manager can bill it as training with `/call bill #1 training`." in (
        first.text
    )
    second = acme.command("/call 28m acme jane")
    assert "jane: 48m this month (2026-11) of 45m allowance — over allowance." in second.text
    return acme


BEFORE_CALLS = [
    {
        "caller": "jane",
        "calls": 2,
        "seconds": 2880,
        "long_calls": 2,
        "allowance_minutes": 45,
        "status": "over_allowance",
        "avg_quality": None,
    }
]


def test_done_when_a_long_call_billed_as_training_is_on_the_statement_once_and_undo_restores(
    two_calls,
):
    slack = two_calls
    before = statement(slack)
    assert (before["calls"], before["training_calls"]) == (BEFORE_CALLS, [])
    assert (before["billed_minutes"], before["amount"]) == (0, "0.00")

    reply = slack.command("/call bill #1 training", MANAGER)
    assert reply.status == 200
    assert (
        ":mortar_board: #1 (20m call with jane at *acme* on Fri 20 Nov) is billed as "
        "training: 20m at 60.00 GBP per hour = 20.00 GBP on the 2026-11 statement" in reply.text
    )
    assert "jane now has 28m this month (2026-11) of 45m allowance — within allowance" in (
        reply.text
    )
    after = statement(slack)
    assert after["training_calls"] == [
        {
            "id": "1",
            "caller": "jane",
            "start": "2026-11-20T09:40:00+00:00",
            "seconds": 1200,
            "billed_minutes": 20,
            "amount": "20.00",
            "billed_by": MANAGER,
            "billed_at": ISSUED,
        }
    ]
    # Once: out of the calls rows (the caller's month drops by the call), into the totals.
    assert after["calls"] == [
        {**BEFORE_CALLS[0], "calls": 1, "seconds": 1680, "long_calls": 1, "status": "within"}
    ]
    assert (after["billed_minutes"], after["amount"]) == (20, "20.00")
    assert billing_of(slack)[:2] == ("training", MANAGER)
    balance = slack.command("/balance acme").text
    assert "• jane: 1 call, 28m of 45m — within allowance, 1 long" in balance
    assert "Billed as training: call #1 with jane, 20m → 20m at 60.00 GBP/h = 20.00 GBP." in (
        balance
    )

    undone = slack.command("/call bill #1 undo", MANAGER)
    assert ":leftwards_arrow_with_hook: #1 (20m call with jane at *acme* on Fri 20 Nov) is " in (
        undone.text
    )
    assert "billed as support again" in undone.text
    assert "jane now has 48m this month (2026-11) of 45m allowance — over allowance" in (
        undone.text
    )
    restored = statement(slack)
    assert (restored["calls"], restored["training_calls"]) == (BEFORE_CALLS, [])
    assert (restored["billed_minutes"], restored["amount"]) == (0, "0.00")
    assert billing_of(slack)[:2] == ("support", MANAGER)  # the undo is audited too


def test_training_is_priced_with_training_sessions_and_overage_each_exactly_once(two_calls):
    slack = two_calls
    slack.command("/book acme 2026-11-23 10:00 1h training", AGENT)
    slack.command("/log 35m acme", AGENT)  # no hour block: 60 billed minutes of overage
    slack.command("/call bill 1 training", MANAGER)
    slack.clock.set(slack.clock.now() + timedelta(days=5))
    result = statement(slack)
    # 60 overage at 90.00 GBP/h, 60 training session + 20 training call at 60.00 GBP/h
    assert result["billed_minutes"] == 60 + 60 + 20
    assert result["amount"] == f"{90 + 60 + 20:.2f}"
    assert [row["id"] for row in result["training_calls"]] == ["1"]
    text = render_text(result)
    assert "Long calls billed as training (not in the phone allowance):" in text
    assert (
        f"  #1 2026-11-20 09:40 jane: 20m → 20m at the training rate, 20.00 (billed as "
        f"training by <@{MANAGER}> at 2026-11-20 10:00 UTC)" in text
    )
    assert (
        f"training call,2026-11-20,#1 jane,20,20,billed as training: 20.00; by {MANAGER} at "
        f"{ISSUED}" in render_csv(result).splitlines()
    )


def test_a_second_decision_changes_nothing_and_says_who_decided(two_calls):
    slack = two_calls
    slack.command("/call bill #1 training", MANAGER)
    decided = billing_of(slack)
    slack.clock.advance(timedelta(hours=1))
    again = slack.command("/call bill #1 training", MANAGER)
    assert (
        f":information_source: #1 (20m call with jane at *acme* on Fri 20 Nov) is already "
        f"billed as training (by <@{MANAGER}> on Fri 20 Nov); nothing changed." in again.text
    )
    assert billing_of(slack) == decided
    assert statement(slack)["amount"] == "20.00"
    assert "#2 (28m call with jane at *acme* on Fri 20 Nov) is not billed as training" in (
        slack.command("/call bill #2 support", MANAGER).text
    )
    assert billing_of(slack, 2) == (None, None, None)


def test_fair_use_alerts_are_withdrawn_and_raised_again_in_place(two_calls):
    slack = two_calls
    slack.sweep()
    assert alert_states(slack)["fair_use_allowance:1:jane:2026-11"] == "raised"
    slack.command("/call bill #1 training", MANAGER)
    states = alert_states(slack)
    assert states["fair_use_allowance:1:jane:2026-11"] == "withdrawn"
    assert states["fair_use_allowance:1:@account:2026-11"] == "withdrawn"
    slack.sweep(at=slack.clock.now() + timedelta(minutes=1))
    withdrawn = [u["text"] for u in slack.standin.updated("CACMETEAM") if "Withdrawn" in u["text"]]
    assert (
        ":heavy_multiplication_x: *Withdrawn*: jane at *acme* is back to 28m of phone support "
        "in 2026-11, within the 45m allowance (a call was billed as training)\n"
        "> :warning: *Phone allowance used*: jane at *acme* has had 48m of phone support in "
        "2026-11, over the 45m allowance." in withdrawn
    ), withdrawn
    slack.command("/call bill #1 undo", MANAGER)
    assert alert_states(slack)["fair_use_allowance:1:jane:2026-11"] == "raised"
    # A call recorded after the decision that crosses the line again raises it again too.
    slack.command("/call bill #1 training", MANAGER)
    slack.command("/call 18m acme jane")  # 28 + 18 = 46 minutes
    assert alert_states(slack)["fair_use_allowance:1:jane:2026-11"] == "raised"


def test_bill_as_training_button_is_for_managers_and_edits_the_alert_in_place(two_calls):
    slack = two_calls
    slack.sweep()
    (alert,) = [m for m in slack.standin.posted("CACMETEAM") if "*Long call* #1" in m["text"]]
    buttons = {b["action_id"]: b["value"] for b in alert["blocks"][1]["elements"]}
    assert buttons == {"fair_use_book_training": "acme", "fair_use_bill_training": "1"}

    refused = slack.action("fair_use_bill_training", "1", AGENT)
    assert refused.status == 200
    assert slack.standin.responses[-1]["text"] == (
        ":no_entry: Sorry, only managers can do that (you are an agent)."
    )
    assert billing_of(slack) == (None, None, None)

    slack.action("fair_use_bill_training", "1", MANAGER)
    answer = slack.standin.responses[-1]
    assert answer["response_type"] == "ephemeral"
    assert "is billed as training: 20m at 60.00 GBP per hour = 20.00 GBP" in answer["text"]
    slack.sweep(at=slack.clock.now() + timedelta(minutes=1))
    (edited,) = [u for u in slack.standin.updated("CACMETEAM") if "*Long call* #1" in u["text"]]
    assert f"Billed as training by <@{MANAGER}>" in edited["text"]
    assert [b["action_id"] for b in edited["blocks"][1]["elements"]] == ["fair_use_bill_support"]
    assert statement(slack)["amount"] == "20.00"

    slack.action("fair_use_bill_training", "1", MANAGER)  # a stale second click
    assert "already billed as training" in slack.standin.responses[-1]["text"]

    slack.action("fair_use_bill_support", "1", MANAGER)
    assert "billed as support again" in slack.standin.responses[-1]["text"]
    slack.sweep(at=slack.clock.now() + timedelta(minutes=2))
    last = [u for u in slack.standin.updated("CACMETEAM") if "*Long call* #1" in u["text"]][-1]
    assert f"Training billing undone by <@{MANAGER}>" in last["text"]
    assert statement(slack)["training_calls"] == []


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/call bill #3 training", "#3 lasted 10m, not over 15m: only a long call may be"),
        ("/call bill #99 training", "There is no call #99"),
        ("/call bill #1 waive", "`waive` is not a billing decision (training, or undo / support)"),
        ("/call bill #1", "Give a call id and `training` (or `undo` / `support`)"),
        ("/call bill one training", "`one` is not a call id (like #12)"),
    ],
)
def test_bad_decisions_get_one_line_and_the_usage_and_change_nothing(two_calls, line, says):
    slack = two_calls
    slack.command("/call 10m acme bob")
    reply = slack.command(line, MANAGER)
    assert reply.text.startswith(":warning: " + says), reply.text
    assert reply.text.endswith("Usage: `/call bill <#id> training|undo`")
    assert all(billing_of(slack, n) == (None, None, None) for n in (1, 2, 3))


def test_agents_are_refused_and_nothing_changes(two_calls):
    slack = two_calls
    reply = slack.command("/call bill #1 training", AGENT)
    assert reply.text == ":no_entry: Sorry, only managers can do that (you are an agent)."
    assert billing_of(slack) == (None, None, None)
    assert statement(slack)["training_calls"] == []


def test_a_call_the_plan_does_not_cover_cannot_be_billed_as_training(slack):
    slack.command("/hourglass customer add globex plan=lite channel=<#CGLOBEX|globex>", MANAGER)
    assert "Call #1." in slack.command("/call 70m globex joe").text
    reply = slack.command("/call bill #1 training", MANAGER)
    assert "#1 is not covered by the lite plan's phone support" in reply.text
    assert billing_of(slack) == (None, None, None)
