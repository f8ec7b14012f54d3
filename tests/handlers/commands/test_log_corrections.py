"""Issue 19 item 1 for `/log`, over signed HTTP on both databases: `/log list` shows ids,
`/log undo <#id>`, `/log restore <#id>` and `/log edit <#id> …` for your own entries and, for a manager, anyone's;
every correction re-derives billing and is audited (who, when, what it was).

The clock stands at Fri 20 Nov 2026 10:00 UTC.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.customers import get_customer
from bot.reports.statement import build_statement
from store.models import AuditEntry, TimeEntry
from tests import factories
from tests.harness import AGENT, MANAGER


def statement(slack, customer="acme"):
    with slack.database.session() as db:
        return build_statement(
            db, slack.policy, get_customer(db, customer), 2026, 11, slack.clock.now()
        )


def audit(slack) -> list[tuple[str, int, str, str, dict, dict | None]]:
    with slack.database.session() as db:
        return [
            (c.subject_kind, int(c.subject_id), c.action, c.actor, c.before, c.after)
            for c in db.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def entry(slack, entry_id):
    with slack.database.session() as db:
        row = db.get(TimeEntry, entry_id)
        return row.minutes, row.work_date.isoformat(), row.customer.name, row.undone_at


@pytest.fixture
def globex(acme):
    with acme.database.session() as db:
        globex = factories.customer(db, acme.policy, "globex", now=acme.clock.now())
        factories.hour_block(db, acme.policy, globex, hours=10, now=acme.clock.now())
    return acme


def test_log_names_the_entry_id_and_list_shows_ids(acme):
    reply = acme.command("/log 30m acme printer", AGENT)
    assert 'Logged 30m 1-on-1 for acme on Fri 20 Nov: "printer". Entry #1.' in reply.text
    acme.command("/log 45m acme", AGENT)
    listed = acme.command("/log list", AGENT).text
    assert '• #1 30m 1-on-1 for acme: "printer"' in listed and "• #2 45m 1-on-1 for acme" in listed


def test_undo_by_id_own_entry(acme):
    acme.command("/log 5m acme", AGENT)
    acme.command("/log 30m acme", AGENT)
    reply = acme.command("/log undo #1", AGENT)
    assert reply.text.startswith(
        ":leftwards_arrow_with_hook: Undid 5m 1-on-1 for acme on Fri 20 Nov. "
        "Entry #1 is kept, marked undone (`/log restore #1` brings it back)."
    )
    assert "acme, Fri 20 Nov: 30m logged → 30m billed" in reply.text
    assert statement(acme)["days"] == [
        {"date": "2026-11-20", "logged_minutes": 30, "billed_minutes": 30}
    ]
    ((subject, entry_id, action, actor, before, after),) = audit(acme)
    assert (subject, entry_id, action, actor, after) == (
        "time_entry",
        1,
        "time_entry.undo",
        AGENT,
        None,
    )
    assert before["minutes"] == 5 and before["work_date"] == "2026-11-20"
    assert entry(acme, 1)[3] == acme.clock.now()
    assert "#1" not in acme.command("/log list", AGENT).text


def test_an_agent_cannot_undo_a_managers_entry_a_manager_can_undo_an_agents(acme):
    acme.command("/log 30m acme", MANAGER)  # #1, the manager's
    acme.command("/log 1h acme", AGENT)  # #2, the agent's
    refused = acme.command("/log undo #1", AGENT)
    assert "#1 is <@UMANAGER1>'s; only they or a manager can correct it" in refused.text
    assert entry(acme, 1)[3] is None and audit(acme) == []
    reply = acme.command("/log undo 2", MANAGER)
    assert "Undid 1h 1-on-1 for acme on Fri 20 Nov. Entry #2, logged by <@UAGENT001>" in (
        reply.text
    )
    assert audit(acme)[0][2:4] == ("time_entry.undo", MANAGER)
    assert "already undone" in acme.command("/log undo #2", MANAGER).text
    assert "There is no time entry #9" in acme.command("/log undo #9", MANAGER).text


def test_bare_undo_still_takes_back_your_last(acme):
    acme.command("/log 5m acme", AGENT)
    acme.command("/log 10m acme", AGENT)
    assert "Undid 10m" in acme.command("/log undo", AGENT).text


def test_edit_duration_rederives_the_statement_and_the_balance(acme):
    acme.command("/hourglass hours add acme 10", MANAGER)
    acme.command("/log 3h acme", AGENT)  # meant 30m
    reply = acme.command("/log edit #1 30m", AGENT)
    assert reply.text.startswith(
        ":pencil2: Edited #1: now 30m 1-on-1 for acme on Fri 20 Nov (was 3h)."
    )
    assert "acme, Fri 20 Nov: 30m logged → 30m billed" in reply.text
    assert "acme has 9h 30m of prepaid hours left." in reply.text
    assert statement(acme)["days"] == [
        {"date": "2026-11-20", "logged_minutes": 30, "billed_minutes": 30}
    ]
    ((_, _, action, actor, before, after),) = audit(acme)
    assert (action, actor, before["minutes"], after["minutes"]) == (
        "time_entry.edit",
        AGENT,
        180,
        30,
    )


def test_edit_date_moves_the_entry_and_both_days_are_shown(acme):
    acme.command("/log 1h acme", AGENT)
    reply = acme.command("/log edit #1 on 2026-11-19", AGENT)
    assert "Edited #1: now 1h 1-on-1 for acme on Thu 19 Nov (was on Fri 20 Nov)." in reply.text
    assert "acme, Thu 19 Nov: 1h logged → 1h billed" in reply.text
    assert "acme, Fri 20 Nov: no 1-on-1 time logged, nothing billed." in reply.text
    assert statement(acme)["days"] == [
        {"date": "2026-11-19", "logged_minutes": 60, "billed_minutes": 60}
    ]
    assert "in the future" in acme.command("/log edit #1 on 2026-11-21", AGENT).text


def test_edit_customer_moves_the_billing(globex):
    slack = globex
    slack.command("/log 1h acme", AGENT)
    reply = slack.command("/log edit #1 customer globex", AGENT)
    assert "Edited #1: now 1h 1-on-1 for globex on Fri 20 Nov (was for acme)." in reply.text
    assert "globex has 9h of prepaid hours left." in reply.text
    assert "acme, Fri 20 Nov: no 1-on-1 time logged, nothing billed." in reply.text
    assert statement(slack, "acme")["days"] == []
    assert statement(slack, "globex")["billed_minutes"] == 60
    assert entry(slack, 1)[2] == "globex"
    assert audit(slack)[0][4]["customer"] == "acme" and audit(slack)[0][5]["customer"] == "globex"


def test_edit_of_anothers_entry_is_a_managers(acme):
    acme.command("/log 1h acme", MANAGER)
    refused = acme.command("/log edit #1 30m", AGENT)
    assert "only they or a manager can correct it" in refused.text
    assert entry(acme, 1)[0] == 60
    acme.command("/log 2h acme", AGENT)
    reply = acme.command("/log edit #2 90m", MANAGER)
    assert "Edited #2, logged by <@UAGENT001>: now 1h 30m 1-on-1 for acme" in reply.text
    assert entry(acme, 2)[0] == 90


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/log edit", "give an entry id and what to change"),
        ("/log edit #1", "say what to change"),
        ("/log edit one 30m", "`one` is not a time entry id"),
        ("/log edit #1 30m 45m", "a duration is given twice"),
        ("/log edit #1 1h", "nothing changed"),
        ("/log edit #1 customer nobody", "no customer called `nobody`"),
        ("/log undo #1 #2", "give one entry id"),
    ],
)
def test_refused_corrections_change_nothing(acme, line, message):
    acme.command("/log 1h acme", AGENT)
    reply = acme.command(line, AGENT)
    assert message.lower() in reply.text.lower() and "Usage: `/log" in reply.text
    assert entry(acme, 1)[:2] == (60, "2026-11-20") and audit(acme) == []


def test_a_manager_lists_an_agents_entries_an_agent_only_their_own(acme):
    acme.command("/log 1h acme", AGENT)
    acme.clock.advance(timedelta(minutes=5))
    listed = acme.command("/log list <@UAGENT001|alex>", MANAGER).text
    assert listed.startswith("<@UAGENT001>'s time on Fri 20 Nov: 1h in 1 entry")
    assert "• #1 1h 1-on-1 for acme" in listed
    assert "<@UAGENT001> has nothing logged on Thu 19 Nov" in (
        acme.command("/log list <@UAGENT001> on yesterday", MANAGER).text
    )
    refused = acme.command("/log list <@UMANAGER1>", AGENT).text
    assert "only managers can list someone else's time" in refused


def test_help_lists_the_corrections(acme):
    text = acme.command("/log help", AGENT).text
    for usage in (
        "/log list [@agent] [on <date>]",
        "/log undo [<#id>]",
        "/log restore <#id>",
        "/log edit <#id>",
    ):
        assert usage in text


def test_restore_takes_an_undo_back_and_is_audited(acme):
    acme.command("/hourglass hours add acme 10", MANAGER)
    acme.command("/log 2h acme printer", AGENT)
    acme.command("/log 30m acme", AGENT)
    acme.command("/log undo #1", AGENT)  # a slip: #1 was right
    assert statement(acme)["days"][0]["logged_minutes"] == 30
    reply = acme.command("/log restore #1", AGENT)
    assert reply.text.startswith(
        ':arrow_right_hook: Restored #1: 2h 1-on-1 for acme on Fri 20 Nov: "printer" counts again.'
    )
    assert "acme, Fri 20 Nov: 2h + 30m = 2h 30m logged → 2h 30m billed" in reply.text
    assert statement(acme)["days"] == [
        {"date": "2026-11-20", "logged_minutes": 150, "billed_minutes": 150}
    ]
    assert entry(acme, 1)[3] is None
    undo, restore = audit(acme)[-2:]
    assert undo[2] == "time_entry.undo"
    assert restore[:4] == ("time_entry", 1, "time_entry.restore", AGENT)
    assert restore[4]["minutes"] == 120 and restore[4]["undone_at"]
    history = acme.command("/hourglass history acme", MANAGER).text
    assert "restored undone time entry #1 (2h 1-on-1 for acme on Fri 20 Nov" in history
    # Undone again, restored again: each step is its own audited correction.
    acme.command("/log undo #1", AGENT)
    assert "Restored #1" in acme.command("/log restore 1", AGENT).text
    assert [row[2] for row in audit(acme)].count("time_entry.restore") == 2


def test_a_manager_restores_an_agents_entry_an_agent_not_a_managers(acme):
    acme.command("/log 30m acme", MANAGER)  # #1
    acme.command("/log 1h acme", AGENT)  # #2
    acme.command("/log undo #1", MANAGER)
    acme.command("/log undo #2", AGENT)
    refused = acme.command("/log restore #1", AGENT).text
    assert "#1 is <@UMANAGER1>'s; only they or a manager can correct it" in refused
    assert entry(acme, 1)[3] is not None
    reply = acme.command("/log restore #2", MANAGER).text
    assert reply.startswith(":arrow_right_hook: Restored #2, logged by <@UAGENT001>: 1h")
    assert entry(acme, 2)[3] is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/log restore", "give the id of one undone entry"),
        ("/log restore #1 #2", "give the id of one undone entry"),
        ("/log restore one", "`one` is not a time entry id"),
        ("/log restore #9", "there is no time entry #9"),
        ("/log restore #2", "#2 is not undone; nothing changed"),
    ],
)
def test_refused_restores_change_nothing(acme, line, message):
    acme.command("/log 1h acme", AGENT)
    acme.command("/log 30m acme", AGENT)
    acme.command("/log undo #1", AGENT)
    before = audit(acme)
    reply = acme.command(line, AGENT)
    assert message.lower() in reply.text.lower()
    if "#9" not in line:  # a malformed line; an unknown id says where the ids are instead
        assert "Usage: `/log restore <#id>`" in reply.text
    assert entry(acme, 1)[3] is not None and audit(acme) == before


def test_restore_keeps_the_day_cap_and_an_archived_customer_takes_no_work(globex):
    globex.command("/log 12h acme", AGENT)  # #1
    globex.command("/log 8h acme", AGENT)  # #2
    globex.command("/log undo #1", AGENT)
    globex.command("/log 5h globex", AGENT)  # #3: the day now holds 13h
    refused = globex.command("/log restore #1", AGENT).text
    assert "That would make 25h logged by you on Fri 20 Nov, more than a day has" in refused
    assert entry(globex, 1)[3] is not None
    globex.command("/log undo #3", AGENT)
    globex.command("/hourglass customer archive globex", MANAGER)
    refused = globex.command("/log restore #3", AGENT).text
    assert "`globex` is archived and takes no new work" in refused
    assert entry(globex, 3)[3] is not None
    assert "Restored #1" in globex.command("/log restore #1", AGENT).text
