"""Escalation levels mention the people the policy names, until someone acknowledges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.policy.loader import default_policy_text, parse_policy
from tests.factories import ACME_TEAM
from tests.handlers.commands.test_tickets import CHANNEL, alerts, ticket_action
from tests.harness import MANAGER

AM, TD = "UACCOUNTM1", "UTECHDIR1"


@pytest.fixture
def policy():
    text = default_policy_text().replace("notify = []", f'notify = ["{AM}"]', 1)
    text = text.replace("notify = []", f'notify = ["{TD}", "@support-leads"]', 1)
    return parse_policy(text, "escalation test policy")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, tzinfo=UTC)


def test_levels_mention_their_people_in_turn(acme, standin):
    acme.command("/ticket open acme immediate Down opened today 09:00")  # due at 10:00
    acme.sweep(at=at(10) + timedelta(seconds=1))  # breached just after it
    # Breaches and escalations are internal: the team's channel, never the customer's.
    [post] = standin.posted(ACME_TEAM)
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
    assert len(standin.posted(ACME_TEAM)) == 1 and len(standin.updated()) == 2
    assert standin.posted(CHANNEL) == [] and standin.updated(CHANNEL) == []
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
    assert f"<@{AM}>" in standin.posted(ACME_TEAM)[0]["text"]
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


def test_lite_breaches_alert_but_never_escalate_while_professional_ones_do(acme, standin):
    # Seed 003: "Technical escalation Process to Account Manager or Technical Director" is a
    # Technical Support feature (Professional, Enterprise, Ultimate); Lite gets its alert only.
    lite_channel, lite_team = "CGLOBEX1", "CGLOBEXTEAM"
    acme.command(
        f"/hourglass customer add globex plan=lite channel=<#{lite_channel}|globex> "
        f"team=<#{lite_team}|globex-team>",
        MANAGER,
    )
    acme.command("/ticket open globex immediate Down opened today 09:00")  # #1, Lite
    acme.command("/ticket open acme immediate Down opened today 09:00")  # #2, Professional
    for hour in (10, 11, 14):  # just after the breach, then 1h and 4h after it
        acme.sweep(at=at(hour) + timedelta(seconds=1))
    assert standin.posted(lite_channel) == []  # a breach is internal: the team's channel
    [lite] = standin.posted(lite_team)
    assert "SLA breached, ticket #1 (globex, immediate)" in lite["text"]
    lite_texts = [lite["text"], *(u["text"] for u in standin.updated() if "#1 " in u["text"])]
    assert all("Escalat" not in text and "<@" not in text for text in lite_texts)
    assert f"Escalated to *technical director* <@{TD}>" in standin.updated()[-1]["text"]
    assert [a.key for a in alerts(acme.database)] == [
        "sla:1",
        "sla:2",
        f"sla:2:esc1:{AM}",
        f"sla:2:esc2:{TD}",
    ]
    [am_dm], [td_dm] = standin.posted(AM), standin.posted(TD)
    assert "#2 (acme" in am_dm["text"] and "#2 (acme" in td_dm["text"]
    why = acme.command("/ticket why 1").text
    assert "First response breached at Fri 20 Nov 10:00 GMT" in why and "Escalat" not in why
    assert "Escalated to account manager" in acme.command("/ticket why 2").text
