"""Alerts follow their cause (issue 19 item 2): a correction that removes what raised an
alert edits the posted message to say it was withdrawn and by what; the cause coming back
raises the same message again. Over signed HTTP, both databases."""

from __future__ import annotations

from sqlalchemy import select

from store.models import Alert
from tests.factories import ACME_TEAM
from tests.harness import AGENT, MANAGER


def low_alerts(database) -> list[Alert]:
    with database.session() as db:
        rows = list(db.scalars(select(Alert).where(Alert.kind == "block_low")))
        for row in rows:
            db.expunge(row)
        return rows


def test_undoing_the_entry_that_took_the_balance_low_withdraws_the_alert(acme, standin):
    acme.command("/hourglass hours add acme 8", MANAGER)
    acme.command("/log 12h acme", AGENT)
    acme.sweep()
    (posted,) = standin.posted(ACME_TEAM)
    assert posted["text"].startswith(
        ":battery: *acme* is low on prepaid hours: nothing left (threshold 2h); every block is "
        "used up or expired. Latest block #1. Further 1-on-1 time bills as overage at 90.00 "
        "GBP/h."
    )
    assert "once it runs out" not in posted["text"]
    acme.command("/log undo", AGENT)
    acme.sweep()
    (alert,) = low_alerts(acme.database)
    assert alert.state == "withdrawn"
    edit = standin.updated()[-1]
    assert edit["channel"] == ACME_TEAM and edit["ts"] == alert.ts  # the message posted
    assert edit["text"].startswith(
        ":heavy_multiplication_x: *Withdrawn*: *acme* has 8h of prepaid hours again, over the "
        f"2h threshold (12h logged by <@{AGENT}> was undone)"
    )
    assert "> :battery: *acme* is low on prepaid hours: nothing left" in edit["text"]
    assert len(standin.posted(ACME_TEAM)) == 1  # edited, never a second message


def test_the_cause_coming_back_raises_the_same_message_again(acme, standin):
    acme.command("/hourglass hours add acme 8", MANAGER)
    acme.command("/log 7h acme", AGENT)
    acme.command("/log undo", AGENT)
    acme.sweep()
    acme.command("/log 7h acme", AGENT)
    acme.sweep()
    (alert,) = low_alerts(acme.database)
    assert alert.state == "raised"
    assert len(standin.posted(ACME_TEAM)) == 1
    assert standin.updated()[-1]["text"].startswith(":battery: *acme* is low on prepaid hours")


def test_restoring_the_undone_entry_raises_the_same_message_again(acme, standin):
    acme.command("/hourglass hours add acme 8", MANAGER)
    acme.command("/log 7h acme", AGENT)
    acme.sweep()
    acme.command("/log undo #1", AGENT)
    acme.sweep()
    assert low_alerts(acme.database)[0].state == "withdrawn"
    acme.command("/log restore #1", AGENT)
    acme.sweep()
    (alert,) = low_alerts(acme.database)
    assert alert.state == "raised"
    assert len(standin.posted(ACME_TEAM)) == 1  # the same message, edited back
    assert standin.updated()[-1]["text"].startswith(":battery: *acme* is low on prepaid hours")


def test_an_undo_that_leaves_the_balance_low_keeps_the_alert(acme, standin):
    acme.command("/hourglass hours add acme 8", MANAGER)
    acme.command("/log 7h acme", AGENT)
    acme.command("/log 30m acme", AGENT)
    acme.command("/log undo", AGENT)  # still 1h left
    (alert,) = low_alerts(acme.database)
    assert alert.state == "raised"
