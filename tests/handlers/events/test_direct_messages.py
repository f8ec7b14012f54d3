"""A DM to the app answers with help (issue 17 item 5: the Messages tab is writable, so a
message must not go unanswered); never the app's own posts or a message subtype, and a DM is
never a customer's message. Events API callbacks over signed HTTP on both databases."""

from __future__ import annotations

import pytest

from handlers.events.direct import written_by_a_person
from tests import factories
from tests.harness import AGENT, MANAGER, STRANGER

DM = "DAGENT001"


def dm(user: str = AGENT, **extra) -> dict:
    return {
        "type": "message",
        "channel": DM,
        "channel_type": "im",
        "user": user,
        "text": "hi, how do I log time?",
        "ts": "1795000000.000100",
        **extra,
    }


@pytest.fixture
def acme(slack):
    with slack.database.session() as db:
        factories.customer(
            db,
            slack.policy,
            "acme",
            channel=factories.ACME_CHANNEL,
            team=factories.ACME_TEAM,
            now=slack.clock.now(),
        )
    return slack


@pytest.mark.parametrize("user", [AGENT, MANAGER, STRANGER])
def test_a_dm_is_answered_with_the_help_in_the_dm(slack, user):
    assert slack.event(dm(user)).status == 200
    posted = slack.standin.posted()
    assert [p["channel"] for p in posted] == [DM]
    text = posted[0]["text"]
    assert "Type `/hourglass help` for this list any time." in text
    help_text = slack.command("/hourglass help", AGENT).text
    assert text.endswith(help_text)


def test_a_reply_in_a_dm_thread_is_answered_in_that_thread(slack):
    slack.event(dm(thread_ts="1795000000.000001", ts="1795000000.000200"))
    assert slack.standin.posted()[0]["thread_ts"] == "1795000000.000001"


@pytest.mark.parametrize(
    "event",
    [
        dm(user="UHOURGLASS"),  # the app's own user
        dm(bot_id="BHOURGLASS"),  # the app's own post
        dm(subtype="bot_message", bot_id="BOTHER01", user=None),
        dm(subtype="message_changed", message={"user": AGENT, "text": "edited"}),
        dm(subtype="message_deleted"),
        dm(subtype="file_share"),
        dm(user=None),
    ],
    ids=["own-user", "own-bot", "bot_message", "edit", "delete", "file", "no-user"],
)
def test_the_app_never_answers_itself_a_bot_or_a_subtype(slack, event):
    event = {k: v for k, v in event.items() if v is not None}
    assert slack.event(event).status == 200
    assert slack.standin.posted() == []


def test_a_dm_is_never_a_customers_message(acme):
    # The customer's own person writes to the app in a DM: help, no ticket.
    acme.event(dm("UACMECUST1"), event_id="EvDM1")
    assert "No open tickets" in acme.command("/ticket list", AGENT).text
    assert [p["channel"] for p in acme.standin.posted()] == [DM]
    # The same words in their channel still open a ticket (the SLA listener is untouched).
    message = {**dm("UACMECUST1"), "channel": factories.ACME_CHANNEL, "channel_type": "channel"}
    acme.event(message, event_id="EvDM2")
    assert "Open tickets, oldest first: 1" in acme.command("/ticket list", AGENT).text


def test_written_by_a_person():
    assert written_by_a_person({"user": AGENT}, "UHOURGLASS")
    assert not written_by_a_person({"user": "UHOURGLASS"}, "UHOURGLASS")
    assert not written_by_a_person({"user": AGENT, "subtype": "thread_broadcast"}, None)
    assert not written_by_a_person({"user": AGENT, "bot_profile": {"id": "B1"}}, None)
