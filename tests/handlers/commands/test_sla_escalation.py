"""Escalation levels mention the people the policy names, until someone acknowledges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.policy.loader import default_policy_text, parse_policy
from tests.handlers.commands.test_tickets import CHANNEL, alerts, ticket_action
from tests.harness import MANAGER

AM, TD = "UACCOUNTM1", "UTECHDIR1"


@pytest.fixture
def policy():
    text = default_policy_text().replace("notify = []", f'notify = ["{AM}"]', 1)
    text = text.replace("notify = []", f'notify = ["{TD}", "@support-leads"]', 1)
    return parse_policy(text, "escalation test policy")


@pytest.fixture
def acme(slack):
    slack.command(
        f"/hourglass customer add acme plan=professional channel=<#{CHANNEL}|acme>", MANAGER
    )
    return slack


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, tzinfo=UTC)


def test_levels_mention_their_people_in_turn(acme, standin):
    acme.command("/ticket open acme immediate Down opened today 09:00")  # due at 10:00
    acme.sweep(at=at(10) + timedelta(seconds=1))  # breached just after it
    [post] = standin.posted(CHANNEL)
    assert "SLA breached" in post["text"] and "<@" not in post["text"]
    acme.sweep(at=at(11))  # 1h after the breach
    assert f"Escalated to *account manager* <@{AM}>" in standin.updated()[-1]["text"]
    acme.sweep(at=at(14))  # 4h after the breach
    last = standin.updated()[-1]["text"]
    assert f"Escalated to *technical director* <@{TD}> <!subteam^support-leads>" in last
    assert [a.key for a in alerts(acme.database)] == [
        "sla:1",
        f"sla:1:esc1:{AM}",
        f"sla:1:esc2:{TD}",
    ]
    assert len(standin.posted(CHANNEL)) == 1 and len(standin.updated()) == 2
    # Slack does not notify mentions added by an edit, so each named person gets one DM.
    [am_dm] = standin.posted(AM)
    [td_dm] = standin.posted(TD)
    assert "escalated to you (*account manager*)" in am_dm["text"]
    assert "escalated to you (*technical director*)" in td_dm["text"]
    acme.sweep(at=at(15))
    assert len(standin.calls_to("chat.postMessage")) == 3  # nothing repeats


def test_acknowledge_stops_further_escalation_pings(acme, standin):
    acme.command("/ticket open acme immediate Down opened today 09:00")
    acme.sweep(at=at(11))
    assert f"<@{AM}>" in standin.posted(CHANNEL)[0]["text"]
    ticket_action(acme, "sla_acknowledge", 1)
    acme.sweep(at=at(11, 1))
    acked = standin.updated()[-1]
    assert "acknowledged by" in acked["text"]
    assert [e["action_id"] for e in acked["blocks"][-1]["elements"]] == ["sla_take"]
    acme.sweep(at=at(14))
    last = standin.updated()[-1]["text"]
    assert "Escalated to *technical director*" in last
    assert f"<@{TD}>" not in last and "subteam" not in last
    assert standin.posted(AM) != [] and standin.posted(TD) == []
