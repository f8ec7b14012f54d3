"""Alerts go to the right audience (issue 17 item 2, SPEC §5), over signed HTTP on both
databases: a Slack Connect customer whose support channel they read themselves.

Seed 004: "a company may [tell] customers to expect a support ticket response within 6
hours, but their [SLA] requires a 4-hour response". The internal target, its warnings,
breaches and escalations, fair-use reviews and other customers stay in the team's channel.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.alerts.outbox import NOWHERE
from bot.policy.loader import default_policy_text, parse_policy
from bot.policy.routes import INTERNAL
from store.models import Alert, Customer
from tests.harness import MANAGER

SUPPORT, TEAM = "CACMESHARED", "CACMETEAM"  # acme reads SUPPORT (Slack Connect); we read TEAM
GLOBEX, GLOBEX_TEAM = "CGLOBEXSHARED", "CGLOBEXTEAM"
CUSTOMER_USER = "UACMEPERSON"
AM = "UACCOUNTM1"
# What a customer must never read: the internal target (6h on `priority`), the alert words
# of the internal kinds, an escalation or the people it names, and another customer.
LEAKS = (
    "6h",
    "internal",
    "SLA",
    "breach",
    "warning",
    "Escalat",
    AM,
    "review",
    "allowance",
    "Long call",
    "low on prepaid",
    "Late cancellation",
    "globex",
)


def at(hour: int, minute: int = 0, day: int = 20) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def policy():
    text = default_policy_text().replace("notify = []", f'notify = ["{AM}"]', 1)
    return parse_policy(text, "audience test policy")


@pytest.fixture
def shared(slack):
    """acme and globex, each with a support channel shared with them and a team channel."""
    for name, support, team in (("acme", SUPPORT, TEAM), ("globex", GLOBEX, GLOBEX_TEAM)):
        reply = slack.command(
            f"/hourglass customer add {name} plan=professional channel=<#{support}|{name}> "
            f"team=<#{team}|{name}-team>",
            MANAGER,
        )
        assert "Added customer" in reply.text, reply.text
    return slack


def said_in(standin, channel: str) -> list[str]:
    return [m["text"] for m in standin.posted(channel) + standin.updated(channel)]


def customer_message(
    slack, ts: str, text: str = "Our export is broken", retry_num: int | None = None
) -> None:
    event = {"type": "message", "channel": SUPPORT, "user": CUSTOMER_USER, "text": text, "ts": ts}
    event_id = f"Ev{ts.replace('.', '')}"
    assert slack.event(event, event_id=event_id, retry_num=retry_num).status == 200


def test_a_slack_connect_customer_sees_no_internal_alert_and_the_team_sees_every_one(
    shared, standin, clock
):
    slack = shared
    slack.command("/hourglass hours add acme 3 purchased 2026-08-25", MANAGER)  # expires 23 Nov
    slack.command("/log 90m acme")  # 1h 30m left: under the 2h threshold
    ts = f"{clock.now().timestamp():.6f}"
    customer_message(slack, ts)  # ticket #1, default priority: public 8h, internal 6h
    slack.command("/call 61m acme jane")  # long call, allowance and review
    slack.command("/call 61m globex bob")  # another customer's review
    slack.command("/book acme tomorrow 09:00 1h")  # 23h ahead
    slack.command("/book cancel #1")  # late: 30m billed
    slack.sweep()
    for when in (at(16, 31), at(18, 1), at(19, 2)):  # warning (4h30m), breach, escalation
        slack.sweep(at=when)

    seen = said_in(standin, SUPPORT)
    leaked = [(word, text) for text in seen for word in LEAKS if word in text]
    assert leaked == []
    # What the customer does see: the acknowledgement in their thread with the public
    # target, the prepaid hours that expire soon, and the booking.
    (ack,) = [m for m in standin.posted(SUPPORT) if "ticket #1" in m["text"]]
    assert ack["thread_ts"] == ts
    assert ack["text"] == (
        ":wave: Thanks, we have your message as ticket #1 (priority). We aim to reply within "
        "8h, by Fri 20 Nov 18:00 GMT."
    )
    assert any("expires in 3 days" in text for text in seen)
    assert any("booked for *acme*" in text for text in seen)

    team = " ".join(said_in(standin, TEAM))
    for word in ("SLA warning", "SLA breached", "Escalated to *account manager*"):
        assert word in team
    for word in ("*Long call*", "Phone allowance used", "Fair use review", "low on prepaid"):
        assert word in team
    assert "Late cancellation" in team and "expires in 3 days" in team
    assert "globex" not in team and "bob" in " ".join(said_in(standin, GLOBEX_TEAM))
    assert said_in(standin, GLOBEX) == []
    with slack.database.session() as db:
        rows = list(db.scalars(select(Alert)))
    for row in rows:
        if row.kind in (*INTERNAL, "block_low", "late_cancellation"):
            assert row.channel in (TEAM, GLOBEX_TEAM, AM) and row.audience != "customer"
    assert {row.channel for row in rows if row.kind == "block_expiring"} == {TEAM, SUPPORT}


SHARING = parse_policy(
    default_policy_text()
    + '\n[alerts.routes]\nblock_low = "both"\nlate_cancellation = "customer"\n',
    "a policy that shares low balance and late cancellations",
)


@pytest.mark.parametrize("policy", [SHARING], ids=["sharing"])
def test_the_policy_may_share_low_balance_and_late_cancellations_with_the_customer(shared, standin):
    slack = shared
    slack.command("/hourglass hours add acme 3", MANAGER)
    slack.command("/log 90m acme")
    slack.command("/book acme tomorrow 09:00 1h")
    slack.command("/book cancel #1")
    slack.sweep()
    low = [t for t in said_in(standin, SUPPORT) if "low on prepaid" in t]
    assert low != [] and low == [t for t in said_in(standin, TEAM) if "low on prepaid" in t]
    assert any("Late cancellation" in t for t in said_in(standin, SUPPORT))
    assert not any("Late cancellation" in t for t in said_in(standin, TEAM))


def test_an_internal_alert_with_nowhere_to_go_is_kept_not_posted_to_the_customer(
    slack, standin, clock
):
    slack.command("/hourglass customer add initech plan=professional channel=<#CINI|i>", MANAGER)
    slack.command("/ticket open initech immediate Down opened today 08:00")  # breached 09:00
    slack.sweep()
    assert standin.posted("CINI") == []  # only the escalation's DM to the account manager
    assert [m["channel"] for m in standin.posted()] == [AM]
    with slack.database.session() as db:
        (alert,) = db.scalars(select(Alert).where(Alert.key == "sla:1"))
    assert (alert.kind, alert.channel, alert.last_error) == ("sla_escalation", "", NOWHERE)
    assert alert.next_attempt_at is None


def test_customer_add_says_where_alerts_go_and_refuses_a_shared_team_channel(slack):
    reply = slack.command(
        "/hourglass customer add acme plan=professional channel=<#C1|acme> team=<#C2|t>", MANAGER
    )
    assert (
        "<#C1> is their support channel (their messages open tickets; they see only "
        "customer-facing notices there); internal alerts go to <#C2>." in reply.text
    )
    refused = [
        ("globex channel=<#C3|g> team=<#C3|g>", "must not be the customer's own channel"),
        ("globex channel=<#C3|g> team=<#C1|acme>", "That channel is `acme`'s support channel"),
        ("globex channel=<#C2|t>", "That channel is a team channel for internal alerts"),
        ("globex team=general", "is not a channel"),
    ]
    for options, message in refused:
        answer = slack.command(f"/hourglass customer add {options} plan=lite", MANAGER).text
        assert message in answer and "Usage" in answer, answer
    with slack.database.session() as db:
        assert [(c.name, c.channel_id, c.team_channel) for c in db.scalars(select(Customer))] == [
            ("acme", "C1", "C2")
        ]
    lone = slack.command("/hourglass customer add solo plan=lite", MANAGER).text
    assert "internal alerts have no channel yet" in lone


def test_a_late_sweep_acknowledges_a_ticket_once_however_often_slack_retries(shared, standin):
    ts = f"{shared.clock.now().timestamp():.6f}"
    customer_message(shared, ts)
    customer_message(shared, ts, retry_num=1)  # Slack's retry of the same message
    shared.sweep()
    shared.sweep(at=at(10, 5))
    (ack,) = standin.posted(SUPPORT)
    assert ack["thread_ts"] == ts and "ticket #1" in ack["text"]


def test_a_business_hours_plan_acknowledges_with_its_support_hours(slack, standin, clock):
    clock.set(datetime(2026, 11, 20, 17, 30, tzinfo=UTC))  # Fri 17:30 London
    slack.command("/hourglass customer add globex plan=lite channel=<#CLITE|g>", MANAGER)
    ts = f"{clock.now().timestamp():.6f}"
    event = {"type": "message", "channel": "CLITE", "user": CUSTOMER_USER, "text": "hi", "ts": ts}
    slack.event(event, event_id="EvLITE1")
    slack.sweep()
    (ack,) = standin.posted("CLITE")
    assert ack["thread_ts"] == ts
    assert ack["text"].endswith(
        "We aim to reply within 8h of our support hours, by Sat 21 Nov 15:30 GMT."
    )
