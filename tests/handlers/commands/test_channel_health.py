"""Channel health (issue 17 item 4), over signed HTTP on both databases.

`customer add … channel=` checks the channel with Slack after the customer is written (never
inside the transaction): an archived one is refused, a public one joined, a private one
explained. A lost channel and an alert Slack refused for good reach managers
(`/hourglass alerts failed`, App Home), not only the server log.
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from bot.alerts.outbox import raise_alert
from store.models import Alert, Customer
from store.repositories.core import Customers
from tests import factories
from tests.harness import AGENT, MANAGER

TEAM = "CTEAM01"


@pytest.fixture
def policy(policy):
    """The provider has an internal alert channel."""
    return dataclasses.replace(policy, alert_channel=TEAM)


def customer(database, name: str = "acme") -> Customer | None:
    with database.session() as db:
        return Customers.by_name(db, name)


def api_methods(standin) -> list[str]:
    return [c.method for c in standin.calls if c.method.startswith("conversations.")]


def test_a_public_channel_is_joined_after_the_customer_is_saved(slack):
    slack.standin.add_channel("CPUB01", "acme-support")
    seen_in_db: list[bool] = []

    def on_call(call):
        if call.method == "conversations.info":  # the customer is already committed
            seen_in_db.append(customer(slack.database) is not None)

    slack.standin.on_call = on_call
    reply = slack.command(
        "/hourglass customer add acme plan=professional channel=<#CPUB01>", MANAGER
    )
    assert "Added customer *acme*" in reply.text
    assert "I joined <#CPUB01> so that alerts can be posted there." in slack.said(reply)
    assert api_methods(slack.standin) == ["conversations.info", "conversations.join"]
    assert seen_in_db == [True]
    assert slack.standin.channels["CPUB01"].is_member


def test_a_channel_the_app_is_in_needs_nothing(slack):
    slack.standin.add_channel("CPUB02", "globex", member=True)
    reply = slack.command("/hourglass customer add globex plan=lite channel=<#CPUB02>", MANAGER)
    assert "I'm in <#CPUB02>" in slack.said(reply)
    assert api_methods(slack.standin) == ["conversations.info"]


def test_a_private_channel_says_how_to_invite_the_app(slack):
    slack.standin.add_channel("GPRIV01", "acme-private", private=True)
    reply = slack.command(
        "/hourglass customer add acme plan=professional channel=<#GPRIV01>", MANAGER
    )
    assert "I can't see <#GPRIV01>" in slack.said(reply)
    assert "`/invite @Hourglass`" in slack.said(reply)
    assert api_methods(slack.standin) == ["conversations.info"]  # a private one can't be joined
    assert customer(slack.database).channel_id == "GPRIV01"  # kept: inviting the app fixes it


def test_an_archived_channel_is_refused(slack):
    slack.standin.add_channel("COLD01", "acme-old", archived=True)
    reply = slack.command(
        "/hourglass customer add acme plan=professional channel=<#COLD01>", MANAGER
    )
    assert "<#COLD01> is archived, so *acme* was not added after all" in slack.said(reply)
    assert customer(slack.database) is None
    assert api_methods(slack.standin) == ["conversations.info"]
    again = slack.command("/hourglass customer add acme plan=professional", MANAGER)
    assert "Added customer *acme*" in again.text


def test_an_alert_slack_refuses_for_good_is_shown_to_managers(slack):
    slack.standin.add_channel("GPRIV01", "acme-private", private=True)
    with slack.database.session() as db:
        acme = factories.customer(
            db, slack.policy, "acme", channel="GPRIV01", now=slack.clock.now()
        )
        raise_alert(  # a customer-facing notice, routed to acme's own (private) channel
            db,
            slack.policy,
            key="test:booked:1",
            kind="booking_confirmed",
            customer=acme,
            text="acme's session is booked",
            now=slack.clock.now(),
        )
    slack.sweep()
    with slack.database.session() as db:
        alert = db.scalar(select(Alert).where(Alert.key == "test:booked:1"))
        assert alert.next_attempt_at is None  # permanent: not retried
    reply = slack.command("/hourglass alerts failed", MANAGER)
    assert "1 problem with alerts" in reply.text
    assert (
        "(booking_confirmed) for acme in <#GPRIV01> not delivered: `channel_not_found`"
        in reply.text
    )

    assert slack.event({"type": "app_home_opened", "user": MANAGER, "tab": "home"}).status == 200
    view = slack.standin.calls_to("views.publish")[-1].params["view"]
    assert "*1 alert problem*" in view["blocks"][0]["text"]["text"]
    slack.event({"type": "app_home_opened", "user": AGENT, "tab": "home"}, event_id="Ev2")
    agent_view = slack.standin.calls_to("views.publish")[-1].params["view"]
    assert "alert problem" not in str(agent_view)


def test_alerts_failed_is_for_managers_and_says_when_all_is_well(slack):
    assert "only managers" in slack.command("/hourglass alerts failed", AGENT).text
    assert "Every alert was delivered" in slack.command("/hourglass alerts failed", MANAGER).text
    bad = slack.command("/hourglass alerts failed now", MANAGER)
    assert "Usage: `/hourglass alerts failed`" in bad.text


def test_an_archived_customer_channel_reaches_the_team_once(slack):
    with slack.database.session() as db:
        factories.customer(db, slack.policy, "acme", channel="CACME01", now=slack.clock.now())
    event = {"type": "channel_archive", "channel": "CACME01", "user": "UOTHER1"}
    assert slack.event(event, event_id="EvArch1").status == 200
    assert slack.event(event, event_id="EvArch1", retry_num=1).status == 200  # a retry
    slack.event({"type": "channel_archive", "channel": "CNOBODY"}, event_id="EvArch2")
    slack.sweep()
    (notice,) = slack.standin.posted(TEAM)
    assert (
        "can no longer post in <#CACME01> (*acme*'s alert channel): it was archived"
        in notice["text"]
    )
    assert slack.standin.posted("CACME01") == []  # nothing about it in the customer's channel
    reply = slack.command("/hourglass alerts failed", MANAGER)
    assert "Channel <#CACME01> (acme): it was archived" in reply.text
    assert "CNOBODY" not in reply.text


def test_the_app_removed_from_a_channel_is_noticed_and_others_leaving_are_not(slack):
    with slack.database.session() as db:
        factories.customer(db, slack.policy, "acme", channel="GACME02", now=slack.clock.now())
    left = {"type": "member_left_channel", "channel": "GACME02", "channel_type": "G"}
    slack.event({**left, "user": "UCUSTOMER9"}, event_id="EvLeft1")
    assert "Every alert was delivered" in slack.command("/hourglass alerts failed", MANAGER).text
    slack.event({**left, "user": "UHOURGLASS"}, event_id="EvLeft2")
    reply = slack.command("/hourglass alerts failed", MANAGER)
    assert "Channel <#GACME02> (acme): Hourglass was removed from it" in reply.text
