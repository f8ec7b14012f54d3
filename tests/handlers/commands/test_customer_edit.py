"""/hourglass customer edit and customer list over signed HTTP on both databases.

A customer's plan, seats and channels can be changed from Slack after `customer add`: with
the same checks as `add`, audited (who, when), a reply that says what changed and how to
undo it, and a new channel checked with Slack as `add` checks it.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from handlers.paging import ACTION_MORE
from store.models import Customer
from tests import factories
from tests.harness import AGENT, MANAGER, STRANGER

ACME = (factories.ACME_CHANNEL, factories.ACME_TEAM)


def settings(database, name: str = "acme") -> tuple:
    with database.session() as db:
        c = db.scalar(select(Customer).where(Customer.name == name))
        return (c.plan, c.seats, c.channel_id, c.team_channel, c.updated_by, c.updated_at)


def undo_line(text: str) -> str:
    match = re.search(r"Undo with `([^`]+)`", text)
    assert match, text
    return match.group(1)


def test_a_manager_changes_plan_and_seats_audited_and_undoable(acme):
    reply = acme.command("/hourglass customer edit acme plan=enterprise seats=3", MANAGER)
    assert reply.text.startswith(":pencil2: Changed *acme*: plan professional → enterprise; ")
    assert "seats 1 → 3" in reply.text
    undo = undo_line(reply.text)
    assert undo == "/hourglass customer edit acme plan=professional seats=1"
    assert settings(acme.database) == ("enterprise", 3, *ACME, MANAGER, acme.clock.now())
    back = acme.command(undo, MANAGER)
    assert "plan enterprise → professional; seats 3 → 1" in back.text
    assert settings(acme.database)[:4] == ("professional", 1, *ACME)
    assert "3 seat" not in acme.command("/balance acme", AGENT).text


def test_a_new_public_channel_is_joined_and_the_undo_names_the_old_one(acme):
    acme.standin.add_channel("CNEW01", "acme-support")
    reply = acme.command("/hourglass customer edit acme channel=<#CNEW01|acme-support>", MANAGER)
    assert f"channel <#{factories.ACME_CHANNEL}> → <#CNEW01>" in reply.text
    assert undo_line(reply.text) == (
        f"/hourglass customer edit acme channel=<#{factories.ACME_CHANNEL}>"
    )
    assert "I joined <#CNEW01>" in acme.said(reply)
    assert [c.method for c in acme.standin.calls if c.method.startswith("conversations.")] == [
        "conversations.info",
        "conversations.join",
    ]
    assert settings(acme.database)[2] == "CNEW01"


def test_a_new_private_channel_says_how_to_invite_the_app(acme):
    acme.standin.add_channel("GTEAM02", "acme-team", private=True)
    reply = acme.command("/hourglass customer edit acme team=<#GTEAM02>", MANAGER)
    assert "`/invite @Hourglass`" in acme.said(reply)
    assert settings(acme.database)[3] == "GTEAM02"


@pytest.mark.parametrize(
    ("option", "index", "which"), [("channel", 2, "support"), ("team", 3, "team")]
)
def test_an_archived_new_channel_is_refused_and_the_old_one_kept(acme, option, index, which):
    acme.standin.add_channel("COLD01", "acme-old", archived=True)
    reply = acme.command(f"/hourglass customer edit acme {option}=<#COLD01>", MANAGER)
    kept = ACME[index - 2]
    assert f"<#COLD01> is archived, so *acme* keeps <#{kept}> as its {which} channel" in acme.said(
        reply
    )
    assert settings(acme.database)[index] == kept
    assert settings(acme.database)[0] == "professional"  # the customer is never taken back


def test_channels_can_be_cleared_and_put_back(acme):
    reply = acme.command("/hourglass customer edit acme team=none", MANAGER)
    assert f"team <#{factories.ACME_TEAM}> → none" in reply.text
    assert settings(acme.database)[3] is None
    acme.command(undo_line(reply.text), MANAGER)
    assert settings(acme.database)[3] == factories.ACME_TEAM


def test_nothing_changed_says_so_and_audits_nothing(acme):
    reply = acme.command("/hourglass customer edit acme plan=professional seats=1", MANAGER)
    assert reply.text == "Nothing changed: *acme* already has those settings."
    assert settings(acme.database)[4:] == (None, None)


@pytest.fixture
def globex(acme):
    with acme.database.session() as db:
        factories.customer(
            db, acme.policy, "globex", plan="lite", channel="CGLOBEX1", now=acme.clock.now()
        )
        factories.customer(db, acme.policy, "initech", team="CGLOBTEAM", now=acme.clock.now())
    return acme


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("plan=gold", "There is no plan `gold`"),
        ("seats=0", "Seats must be a whole number from 1"),
        ("seats=two", "Seats must be a whole number, not `two`"),
        ("channel=<#CGLOBEX1>", "That channel already belongs to `globex`"),
        (f"team=<#{factories.ACME_CHANNEL}>", "must not be the customer's own channel"),
        ("team=<#CGLOBEX1>", "that channel is `globex`'s support channel"),
        (f"channel=<#{factories.ACME_TEAM}>", "must not be the customer's own channel"),
        ("channel=<#CGLOBTEAM>", "that channel is a team channel"),
        ("channel=acme", "is not a channel"),
        ("colour=blue", "Unknown option `colour=`"),
        ("", "give one customer name and at least one of"),
    ],
)
def test_bad_edits_are_refused_with_the_usage_and_change_nothing(globex, options, message):
    reply = globex.command(f"/hourglass customer edit acme {options}".strip(), MANAGER)
    assert reply.text.startswith(":warning:")
    assert message.lower() in reply.text.lower()
    assert "Usage: `/hourglass customer edit <name>" in reply.text
    assert settings(globex.database) == ("professional", 1, *ACME, None, None)
    assert not globex.standin.calls_to("conversations.info")


def test_an_unknown_customer_is_refused(acme):
    reply = acme.command("/hourglass customer edit umbrella seats=2", MANAGER)
    assert "There is no customer called `umbrella`" in reply.text


@pytest.mark.parametrize("user", [AGENT, STRANGER])
def test_only_managers_edit(acme, user):
    reply = acme.command("/hourglass customer edit acme seats=5", user)
    assert reply.text.startswith(":no_entry: Sorry, only")
    assert settings(acme.database)[1] == 1


@pytest.mark.parametrize("user", [MANAGER, AGENT])
def test_managers_and_agents_list_every_customer(globex, user):
    globex.command("/hourglass customer edit globex seats=4", MANAGER)
    text = globex.command("/hourglass customer list", user).text
    assert text.startswith("Customers: 3")
    assert (
        f"• *acme*: professional plan, 1 seat; <#{factories.ACME_CHANNEL}>; "
        f"team <#{factories.ACME_TEAM}>"
    ) in text
    assert (
        "• *globex*: lite plan, 4 seats; <#CGLOBEX1>; team: the provider's alert channel "
        f"(edited by <@{MANAGER}> on 20 Nov 2026)"
    ) in text


def test_strangers_cannot_list_customers(acme):
    assert "Sorry, only" in acme.command("/hourglass customer list", STRANGER).text


def test_a_long_customer_list_pages_with_more(slack):
    with slack.database.session() as db:
        for n in range(300):  # long names and channels: 300 lines outgrow one message
            factories.customer(
                db,
                slack.policy,
                f"customer-{n:03d}-" + "x" * 50,
                channel=f"C{n:03d}" + "X" * 20,
                team=f"C{n:03d}" + "T" * 20,
                now=slack.clock.now(),
            )
    reply = slack.command("/hourglass customer list", AGENT)
    seen = re.findall(r"\*(customer-\d{3})", reply.text)
    assert 0 < len(seen) < 300 and f"… and {300 - len(seen)} more" in reply.text
    value = next(
        e["value"]
        for b in reply.body["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == ACTION_MORE
    )
    before = len(slack.standin.responses)
    assert slack.action(ACTION_MORE, value).status == 200
    (page,) = slack.standin.responses[before:]
    assert re.findall(r"\*(customer-\d{3})", page["text"])[0] == f"customer-{len(seen):03d}"
