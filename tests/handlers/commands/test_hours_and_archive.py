"""Hour blocks listed, voided and adjusted from Slack, and archived customers (issue 19
item 1), over signed HTTP on both databases; every change audited (who, when, what it was)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.customers import get_customer
from store.models import AuditEntry, Customer, HourBlock, Ticket
from tests import factories
from tests.harness import AGENT, MANAGER


@pytest.fixture
def blocks(acme):
    """acme with block #1 (10h, bought 30 Aug) and #2 (5h, bought today, 20 Nov)."""
    with acme.database.session() as db:
        customer = db.scalar(select(Customer).where(Customer.name == "acme"))
        now = acme.clock.now()
        factories.hour_block(
            db, acme.policy, customer, hours=10, now=now, purchased=date(2026, 8, 30)
        )
        factories.hour_block(db, acme.policy, customer, hours=5, now=now)
    return acme


def audit(database, subject: str) -> list[tuple]:
    """The audit rows of `block#2` (an hour block) or `acme` (a customer)."""
    with database.session() as db:
        if subject.startswith("block#"):
            kind, key = "hour_block", subject.removeprefix("block#")
        else:
            kind, key = "customer", str(get_customer(db, subject).id)
        where = (AuditEntry.subject_kind == kind, AuditEntry.subject_id == key)
        rows = db.scalars(select(AuditEntry).where(*where).order_by(AuditEntry.id))
        return [(r.actor, r.action, r.before, r.after, r.reason, r.at) for r in rows]


def test_hours_list_shows_each_block_with_what_is_drawn_and_left(blocks):
    blocks.command("/log 2h acme", AGENT)
    reply = blocks.command("/hourglass hours list acme", MANAGER)
    assert reply.text.splitlines() == [
        ":hourglass_flowing_sand: *acme*'s hour blocks:",
        "• #1: 10h, valid 30 Aug 2026 – 27 Nov 2026; drawn 2h, left 8h (active)",
        "• #2: 5h, valid 20 Nov 2026 – 17 Feb 2027; drawn 0m, left 5h (active)",
    ]


def test_hours_list_of_a_customer_without_blocks_says_how_to_add_one(acme):
    reply = acme.command("/hourglass hours list acme", MANAGER)
    assert reply.text == (
        "*acme* has no hour blocks. Add one with `/hourglass hours add acme <hours>`."
    )


def test_a_block_nothing_is_drawn_from_is_voided_audited_and_kept_in_the_list(blocks):
    reply = blocks.command("/hourglass hours void #2", MANAGER)
    assert reply.text.startswith(
        ":wastebasket: Voided hour block #2 of *acme* (5h bought 20 Nov 2026): it no longer counts"
    )
    assert "Remaining: *10h*" in blocks.command("/balance acme", AGENT).text
    listed = blocks.command("/hourglass hours list acme", MANAGER).text
    assert f"• ~#2: 5h bought 20 Nov 2026~ voided by <@{MANAGER}> on 20 Nov 2026" in listed
    (row,) = audit(blocks.database, "block#2")
    assert row[:2] == (MANAGER, "block.void")
    assert row[2] == {
        "customer": "acme",
        "minutes": 300,
        "purchased": "2026-11-20",
        "expires": "2027-02-18",
        "ref": None,
    }
    assert "already voided" in blocks.command("/hourglass hours void 2", MANAGER).text


def test_a_block_with_time_drawn_cannot_be_voided_and_points_to_adjust(blocks):
    blocks.command("/log 2h acme", AGENT)
    reply = blocks.command("/hourglass hours void #1", MANAGER)
    assert (
        "Hour block #1 has 2h drawn from it, so it cannot be voided; correct its hours with "
        "`/hourglass hours adjust #1 <±hours> <reason>`"
    ) in reply.text
    with blocks.database.session() as db:
        assert db.get(HourBlock, 1).voided_at is None
    assert audit(blocks.database, "block#1") == []


def test_hours_adjust_changes_the_block_with_its_reason_audited(blocks):
    blocks.command("/log 2h acme", AGENT)
    reply = blocks.command("/hourglass hours adjust #1 -2 invoice was for 8 hours", MANAGER)
    assert reply.text.startswith(
        ":pencil2: Hour block #1 of *acme*: 10h → 8h (−2h, invoice was for 8 hours)."
    )
    (row,) = audit(blocks.database, "block#1")
    assert row == (
        MANAGER,
        "block.adjust",
        {"customer": "acme", "minutes": 600},
        {"minutes": 480},
        "invoice was for 8 hours",
        blocks.clock.now(),
    )
    listed = blocks.command("/hourglass hours list acme", MANAGER).text
    assert "drawn 2h, left 6h (active); adjusted −2h by" in listed
    assert "(invoice was for 8 hours)" in listed
    more = blocks.command("/hourglass hours adjust 2 +1.5 bonus", MANAGER)
    assert "5h → 6h 30m (+1h 30m, bonus)" in more.text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("hours adjust #1 -10 too much", "cannot go to 0m"),
        ("hours adjust #1 -2", "Usage: `/hourglass hours adjust <#id> <±hours> <reason>`"),
        ("hours adjust #9 +1 why", "There is no hour block #9"),
        ("hours void", "Usage: `/hourglass hours void <#id>`"),
        ("hours list", "Usage: `/hourglass hours list <customer>`"),
    ],
)
def test_bad_block_corrections_are_one_line_and_change_nothing(blocks, line, message):
    reply = blocks.command(f"/hourglass {line}", MANAGER)
    assert reply.text.startswith(":warning:") and message in reply.text
    with blocks.database.session() as db:
        assert [b.minutes for b in db.scalars(select(HourBlock).order_by(HourBlock.id))] == [
            600,
            300,
        ]
        assert db.scalars(select(AuditEntry)).all() == []


def test_agents_cannot_correct_blocks(blocks):
    for line in ("hours void #2", "hours adjust #2 +1 why", "hours list acme"):
        assert blocks.command(f"/hourglass {line}", AGENT).text.startswith(":no_entry:")


def test_an_archived_customer_refuses_new_work_and_keeps_its_history(blocks):
    blocks.command("/log 1h acme", AGENT)
    reply = blocks.command("/hourglass customer archive acme", MANAGER)
    assert reply.text.startswith(":file_cabinet: Archived *acme*: it takes no new time")
    refusal = "`acme` is archived and takes no new work (a manager can bring it back with "
    for line, user in (
        ("/log 30m acme", AGENT),
        ("/call 5m acme jane", AGENT),
        ("/timer start acme jane", AGENT),
        ("/ticket open acme low printer", AGENT),
        ("/book acme 2026-11-24 10:00 1h", AGENT),
        ("/hourglass hours add acme 5", MANAGER),
    ):
        said = blocks.command(line, user).text
        assert said.startswith(":warning:") and refusal in said, (line, said)
    # its history stays: the statement, the balance, the list
    assert blocks.command("/hourglass report acme 2026-11", MANAGER).text.startswith(
        "Statement for acme, 2026-11"
    )
    assert "Remaining: *14h*" in blocks.command("/balance acme", AGENT).text
    listed = blocks.command("/hourglass customer list", AGENT).text
    assert f"— *archived* by <@{MANAGER}> on 20 Nov 2026" in listed
    assert [r[1] for r in audit(blocks.database, "acme")] == ["customer.archive"]
    again = blocks.command("/hourglass customer archive acme", MANAGER)
    assert again.text == "Nothing changed: *acme* is already archived."
    back = blocks.command("/hourglass customer unarchive acme", MANAGER)
    assert back.text == ":white_check_mark: *acme* is active again and takes new work."
    assert ":warning:" not in blocks.command("/log 30m acme", AGENT).text
    assert [r[1] for r in audit(blocks.database, "acme")] == [
        "customer.archive",
        "customer.unarchive",
    ]


def test_an_archived_customers_channel_opens_no_ticket_and_its_picker_hides_it(blocks):
    blocks.command("/hourglass customer archive acme", MANAGER)
    message = {
        "type": "message",
        "channel": factories.ACME_CHANNEL,
        "user": "UCUSTOMER",
        "text": "printer down",
        "ts": "1700000101.000100",
    }
    assert blocks.event(message, event_id="EvArchived").status == 200
    with blocks.database.session() as db:
        assert db.scalars(select(Ticket)).all() == []
    suggestion = blocks.interaction(
        {
            "type": "block_suggestion",
            "team": {"id": "T00000001"},
            "user": {"id": AGENT},
            "api_app_id": "A1",
            "action_id": "customer_search",
            "block_id": "customer",
            "value": "ac",
            "container": {"type": "view", "view_id": "V0000001"},
        }
    )
    assert suggestion.body.get("options") == []
