"""Issue 19 item 1 for `/call`, over signed HTTP on both databases: `/call list` shows your
calls with ids, `/call undo <#id>` takes one back (yours, or anyone's for a manager),
audited, with the caller's allowance and the account's re-derived from the remaining calls
and the alerts the call caused withdrawn.

The clock stands at Fri 20 Nov 2026 10:00 UTC (10:00 in London).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.customers import get_customer
from bot.reports.statement import build_statement
from store.models import Alert, AuditEntry, PhoneCall
from tests.factories import ACME_TEAM
from tests.harness import AGENT, MANAGER


def calls_rows(slack):
    with slack.database.session() as db:
        data = build_statement(
            db, slack.policy, get_customer(db, "acme"), 2026, 11, slack.clock.now()
        )
    return data["calls"]


def alert_states(slack) -> dict[str, str]:
    with slack.database.session() as db:
        return {a.key: a.state for a in db.scalars(select(Alert))}


def test_the_typo_d_three_hour_call_is_undone_and_its_five_alerts_withdrawn(acme):
    slack = acme
    slack.command("/call 10m acme jane")
    slack.clock.advance(timedelta(minutes=5))
    typo = slack.command("/call 3h acme jane")  # meant 3m
    assert "Call #2" in typo.text
    assert len(alert_states(slack)) == 5  # long call, allowance and review, caller and account
    slack.sweep()
    posted = len(slack.standin.posted(ACME_TEAM))
    reply = slack.command("/call undo #2")
    assert reply.text.startswith(
        ":leftwards_arrow_with_hook: Undid call #2: 3h with jane (acme) on Fri 20 Nov."
    )
    assert "jane: 10m this month (2026-11) of 45m allowance — within allowance." in reply.text
    assert "acme account: 10m of 45m — within allowance." in reply.text
    assert set(alert_states(slack).values()) == {"withdrawn"}
    slack.sweep()
    assert len(slack.standin.posted(ACME_TEAM)) == posted  # edited in place, not posted again
    updates = slack.standin.calls_to("chat.update")
    assert len(updates) == 5
    assert all("call #2 was undone by <@UAGENT001>" in u.params["text"] for u in updates)
    assert [(r["caller"], r["calls"], r["seconds"]) for r in calls_rows(slack)] == [
        ("jane", 1, 600)
    ]
    with slack.database.session() as db:
        (audit,) = db.scalars(select(AuditEntry))
        call = db.get(PhoneCall, 2)
        assert call.undone_at == slack.clock.now()  # kept, marked
    assert (audit.subject_kind, audit.subject_id, audit.action, audit.actor) == (
        "phone_call",
        "2",
        "phone_call.undo",
        AGENT,
    )
    assert audit.before["seconds"] == 10800 and audit.at == slack.clock.now()


def test_call_list_shows_ids_and_undo_restores_the_allowance(acme):
    slack = acme
    slack.command("/call 30m acme jane reset")
    slack.clock.advance(timedelta(minutes=5))
    over = slack.command("/call 20m acme jane")
    assert "jane: 50m this month (2026-11) of 45m allowance — over allowance." in over.text
    listed = slack.command("/call list").text
    assert listed.startswith("Your calls on Fri 20 Nov (Europe/London): 50m in 2 calls")
    assert '• #1 09:30 30m call with jane (acme) — long call: "reset"' in listed
    assert "• #2 09:45 20m call with jane (acme) — long call" in listed
    reply = slack.command("/call undo")  # your last: #2
    assert "Undid call #2" in reply.text
    assert "jane: 30m this month (2026-11) of 45m allowance — within allowance." in reply.text
    listed = slack.command("/call list").text
    assert "#2" not in listed and "1 call" in listed
    assert "no calls recorded on Thu 19 Nov" in slack.command("/call list on yesterday").text


def test_an_agent_cannot_undo_anothers_call_a_manager_can(acme):
    slack = acme
    slack.command("/call 5m acme jane", MANAGER)
    slack.command("/call 7m acme bob", AGENT)
    refused = slack.command("/call undo #1", AGENT)
    assert "call #1 is <@UMANAGER1>'s; only they or a manager can correct it" in refused.text
    reply = slack.command("/call undo #2", MANAGER)
    assert "Undid call #2, recorded by <@UAGENT001>: 7m with bob (acme)" in reply.text
    assert "already undone" in slack.command("/call undo #2", MANAGER).text
    assert "There is no call #9" in slack.command("/call undo #9", MANAGER).text
    listed = slack.command("/call list <@UAGENT001|alex>", MANAGER).text
    assert "<@UAGENT001> has no calls recorded on Fri 20 Nov" in listed
    assert "only managers can list someone else's calls" in (
        slack.command("/call list <@UMANAGER1>", AGENT).text
    )
    with slack.database.session() as db:
        assert db.scalar(select(AuditEntry.actor)) == MANAGER


@pytest.mark.parametrize(
    ("line", "message"),
    [("/call undo one", "`one` is not a call id"), ("/call undo #1 #2", "give one call id")],
)
def test_refused_call_corrections_change_nothing(acme, line, message):
    acme.command("/call 5m acme jane")
    reply = acme.command(line)
    assert message.lower() in reply.text.lower() and "Usage: `/call undo" in reply.text
    with acme.database.session() as db:
        assert db.scalar(select(PhoneCall.undone_at)) is None


def test_call_help_lists_list_and_undo(acme):
    text = acme.command("/call help").text
    assert "/call list [@agent] [on <date>]" in text and "/call undo [<#id>]" in text


def test_an_undone_call_cannot_be_billed_as_training(acme):
    acme.command("/call 20m acme jane")
    acme.command("/call undo #1")
    reply = acme.command("/call bill #1 training", MANAGER)
    assert "Call #1 was undone" in reply.text
    with acme.database.session() as db:
        assert db.get(PhoneCall, 1).billed_as is None


def test_restoring_the_undone_call_counts_it_again_and_raises_its_alerts_in_place(acme):
    slack = acme
    slack.command("/call 10m acme jane")
    slack.clock.advance(timedelta(minutes=5))
    slack.command("/call 3h acme jane")
    slack.sweep()
    posted = len(slack.standin.posted(ACME_TEAM))
    undone = slack.command("/call undo #2").text
    assert "(`/call restore #2` brings it back)" in undone
    slack.sweep()
    assert set(alert_states(slack).values()) == {"withdrawn"}
    reply = slack.command("/call restore #2").text
    assert reply.startswith(
        ":arrow_right_hook: Restored call #2: 3h with jane (acme) on Fri 20 Nov. It counts again."
    )
    assert "jane: 3h 10m this month (2026-11) of 45m allowance — over allowance, flagged" in reply
    assert "withdrawn" not in set(alert_states(slack).values())
    slack.sweep()
    assert len(slack.standin.posted(ACME_TEAM)) == posted  # the same five messages, edited
    last = {u.params["ts"]: u.params["text"] for u in slack.standin.calls_to("chat.update")}
    assert len(last) == 5 and not any("Withdrawn" in text for text in last.values())
    assert [(r["caller"], r["calls"], r["seconds"]) for r in calls_rows(slack)] == [
        ("jane", 2, 11400)
    ]
    with slack.database.session() as db:
        actions = [(a.action, a.subject_id) for a in db.scalars(select(AuditEntry))]
    assert actions == [("phone_call.undo", "2"), ("phone_call.restore", "2")]
    history = slack.command("/hourglass history acme", MANAGER).text
    assert "restored undone call #2 (3h call with jane for acme on Fri 20 Nov" in history


@pytest.mark.parametrize(
    ("line", "user", "message"),
    [
        ("/call restore", AGENT, "give the id of one undone call"),
        ("/call restore #1", AGENT, "call #1 is not undone; nothing changed"),
        ("/call restore #2", AGENT, "call #2 is <@UMANAGER1>'s; only they or a manager"),
    ],
)
def test_refused_restores_change_nothing(acme, line, user, message):
    acme.command("/call 5m acme jane", AGENT)
    acme.command("/call 7m acme bob", MANAGER)
    acme.command("/call undo #2", MANAGER)
    reply = acme.command(line, user)
    assert message.lower() in reply.text.lower()
    with acme.database.session() as db:
        assert [
            c.undone_at is None for c in db.scalars(select(PhoneCall).order_by(PhoneCall.id))
        ] == [True, False]
        assert len(list(db.scalars(select(AuditEntry)))) == 1
