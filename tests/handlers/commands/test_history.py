"""One audit log for every correction, and `/hourglass history` reading it (issue 19 item 1),
over signed HTTP on both databases: each kind of correction writes exactly one `audit_log`
row (who, when, what it was and is), and the history lists them in plain words, newest
first, by customer, by person or by month, in pages; only managers may read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.customers import get_customer
from handlers.paging import ACTION_MORE
from store.models import AuditEntry
from store.repositories.audit import AuditLog
from tests import factories
from tests.harness import AGENT, MANAGER, STRANGER

USAGE = "/hourglass history [customer|@user] [YYYY-MM]"


def rows(slack) -> list[AuditEntry]:
    with slack.database.session() as db:
        found = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        db.expunge_all()
        return found


def history_lines(slack, text: str = "") -> list[str]:
    reply = slack.command(f"/hourglass history {text}".strip(), MANAGER)
    return [line.removeprefix("• ") for line in reply.text.splitlines()[1:]]


# (setup commands as (line, user), the correction, its user, the action, the subject kind,
#  the history line the correction reads as)
CASES = {
    "log undo": (
        [("/log 3h acme", AGENT)],
        ("/log undo #1", MANAGER),
        ("time_entry.undo", "time_entry", "1"),
        f"<@{MANAGER}> undid time entry #1 (3h 1-on-1 for acme on Fri 20 Nov, logged by <@{AGENT}>)",
    ),
    "log edit": (
        [("/log 3h acme", AGENT)],
        ("/log edit #1 30m", AGENT),
        ("time_entry.edit", "time_entry", "1"),
        f"<@{AGENT}> edited time entry #1: 3h → 30m (was 3h 1-on-1 for acme on Fri 20 Nov)",
    ),
    "call undo": (
        [("/call 3h acme jane", AGENT)],
        ("/call undo #1", AGENT),
        ("phone_call.undo", "phone_call", "1"),
        f"<@{AGENT}> undid call #1 (3h call with jane for acme on Fri 20 Nov 07:00)",
    ),
    "role add": (
        [],
        (f"/hourglass role add {STRANGER} agent", MANAGER),
        ("role.add", "user", STRANGER),
        f"<@{MANAGER}> made <@{STRANGER}> an agent (had no role)",
    ),
    "role remove": (
        [(f"/hourglass role add {STRANGER} manager", MANAGER)],
        (f"/hourglass role remove {STRANGER}", MANAGER),
        ("role.remove", "user", STRANGER),
        f"<@{MANAGER}> took away <@{STRANGER}>'s manager role",
    ),
    "customer archive": (
        [],
        ("/hourglass customer archive acme", MANAGER),
        ("customer.archive", "customer", "1"),
        f"<@{MANAGER}> archived acme",
    ),
    "customer unarchive": (
        [("/hourglass customer archive acme", MANAGER)],
        ("/hourglass customer unarchive acme", MANAGER),
        ("customer.unarchive", "customer", "1"),
        f"<@{MANAGER}> brought acme back from the archive",
    ),
    "customer edit": (
        [],
        ("/hourglass customer edit acme seats=3 plan=enterprise", MANAGER),
        ("customer.edit", "customer", "1"),
        f"<@{MANAGER}> edited acme: plan professional → enterprise, seats 1 → 3",
    ),
    "phone add-on": (
        [("/hourglass customer edit acme plan=lite", MANAGER)],
        ("/hourglass customer set acme phone=on", MANAGER),
        ("customer.phone", "customer", "1"),
        f"<@{MANAGER}> set acme's phone add-on to on (was the plan's)",
    ),
    "hours void": (
        [("/hourglass hours add acme 5", MANAGER)],
        ("/hourglass hours void #1", MANAGER),
        ("block.void", "hour_block", "1"),
        f"<@{MANAGER}> voided hour block #1 of acme (5h bought Fri 20 Nov 2026)",
    ),
    "hours adjust": (
        [("/hourglass hours add acme 5", MANAGER)],
        ("/hourglass hours adjust #1 -2 invoice was for 3 hours", MANAGER),
        ("block.adjust", "hour_block", "1"),
        f"<@{MANAGER}> adjusted hour block #1 of acme: 5h → 3h: invoice was for 3 hours",
    ),
    "book restore": (
        [("/book acme tomorrow 09:00 1h", AGENT), ("/book cancel #1", AGENT)],
        ("/book restore #1", AGENT),
        ("booking.restore", "booking", "1"),
        f"<@{AGENT}> restored session #1 of acme (Sat 21 Nov 09:00): the late cancellation is "
        "undone; the 30m charge went with it",
    ),
    "book waive": (
        [("/book acme tomorrow 09:00 1h", AGENT), ("/book cancel #1", AGENT)],
        ("/book waive #1 flu, first time", MANAGER),
        ("booking.waive", "booking", "1"),
        f"<@{MANAGER}> waived the 30m charge of session #1 of acme (Sat 21 Nov 09:00): "
        "flu, first time",
    ),
    "ticket reopen": (
        [("/ticket open acme low Printer jam", AGENT), ("/ticket resolve 1", AGENT)],
        ("/ticket reopen 1", AGENT),
        ("ticket.reopen", "ticket", "1"),
        f'<@{AGENT}> reopened ticket #1 of acme ("Printer jam", resolved Fri 20 Nov 10:00)',
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_correction_writes_one_audit_row_and_reads_as_one_history_line(acme, case):
    setup, (line, user), (action, kind, subject_id), words = CASES[case]
    for command, by in setup:
        assert "Usage" not in acme.command(command, by).text, command
    already = len(rows(acme))
    reply = acme.command(line, user)
    assert ":warning:" not in reply.text and ":no_entry:" not in reply.text, reply.text
    (row,) = rows(acme)[already:]
    assert (row.action, row.subject_kind, row.subject_id) == (action, kind, subject_id)
    assert (row.actor, row.at) == (user, acme.clock.now())
    assert row.before, "what it was is kept"
    assert row.after or action.endswith(".undo") or action == "block.void"
    assert row.customer_id == (None if kind == "user" else 1)
    assert history_lines(acme)[0] == f"Fri 20 Nov 10:00 {words}"


def test_a_refused_correction_writes_nothing(acme):
    acme.command("/log 3h acme", AGENT)
    acme.command("/hourglass hours add acme 5", MANAGER)
    acme.command("/log 1h acme", STRANGER)
    assert ":no_entry:" in acme.command("/log undo #1", STRANGER).text
    acme.command("/log undo #9", AGENT)
    acme.command("/hourglass hours void #1", MANAGER)  # 3h drawn from it: refused
    acme.command("/ticket reopen 1", AGENT)
    acme.command("/hourglass customer edit acme seats=1", MANAGER)  # nothing changes
    assert rows(acme) == []
    assert acme.command("/hourglass history", MANAGER).text == "No corrections yet."


@pytest.fixture
def busy(acme, clock):
    """Corrections over a few days, to two customers, by an agent and a manager."""
    with acme.database.session() as db:
        factories.customer(db, acme.policy, "globex", channel="CGLOBEX1", now=clock.now())
    acme.command("/log 1h acme", AGENT)  # #1
    acme.command("/log 2h globex", AGENT)  # #2
    clock.set(datetime(2026, 11, 23, 9, 5, tzinfo=UTC))
    acme.command("/log undo #1", AGENT)
    clock.set(datetime(2026, 11, 24, 14, 30, tzinfo=UTC))
    acme.command("/log edit #2 90m", MANAGER)
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    acme.command(f"/hourglass role add {AGENT} manager", MANAGER)
    acme.command("/hourglass customer archive globex", MANAGER)
    return acme


def test_history_lists_every_correction_newest_first(busy):
    reply = busy.command("/hourglass history", MANAGER)
    assert reply.text.splitlines()[0] == ":scroll: Corrections, newest first: 4"
    assert history_lines(busy) == [
        f"Tue 1 Dec 08:00 <@{MANAGER}> archived globex",
        f"Tue 1 Dec 08:00 <@{MANAGER}> made <@{AGENT}> a manager (was an agent)",
        f"Tue 24 Nov 14:30 <@{MANAGER}> edited time entry #2: 2h → 1h 30m (was 2h 1-on-1 for "
        f"globex on Fri 20 Nov, logged by <@{AGENT}>)",
        f"Mon 23 Nov 09:05 <@{AGENT}> undid time entry #1 (1h 1-on-1 for acme on Fri 20 Nov)",
    ]


def test_history_of_a_customer_a_person_and_a_month(busy):
    assert history_lines(busy, "acme") == [
        f"Mon 23 Nov 09:05 <@{AGENT}> undid time entry #1 (1h 1-on-1 for acme on Fri 20 Nov)"
    ]
    assert [line[:15] for line in history_lines(busy, "globex")] == [
        "Tue 1 Dec 08:00",
        "Tue 24 Nov 14:3",
    ]
    # A person: what they did, and the roles given to or taken from them.
    by_agent = history_lines(busy, f"<@{AGENT}|alex>")
    assert [line.split(" ", 5)[5][:30] for line in by_agent] == [
        "made <@UAGENT001> a manager (w",
        "undid time entry #1 (1h 1-on-1",
    ]
    assert history_lines(busy, "@alex") == by_agent  # typed as in the console
    assert history_lines(busy, "2026-12") == history_lines(busy)[:2]
    reply = busy.command("/hourglass history globex 2026-11", MANAGER)
    assert reply.text.splitlines()[0] == (
        ":scroll: Corrections to *globex* in November 2026, newest first: 1"
    )
    assert busy.command("/hourglass history 2026-10 acme", MANAGER).text == (
        "No corrections to *acme* in October 2026."
    )


def test_an_entry_moved_to_another_customer_is_in_both_histories(busy):
    with busy.database.session() as db:
        factories.customer(db, busy.policy, "initech", channel="CINITECH1", now=busy.clock.now())
    busy.command("/log 45m acme", AGENT)  # #3
    assert "Usage" not in busy.command("/log edit #3 customer initech", AGENT).text
    moved = (
        f"Tue 1 Dec 08:00 <@{AGENT}> edited time entry #3: acme → initech (was 45m 1-on-1 for "
        "acme on Tue 1 Dec)"
    )
    assert history_lines(busy, "acme")[0] == moved
    assert history_lines(busy, "initech") == [moved]


def test_history_is_for_managers_only(busy):
    reply = busy.command("/hourglass history", STRANGER)
    assert ":no_entry:" in reply.text and "corrections" not in reply.text.lower()
    busy.command(f"/hourglass role add {STRANGER} agent", MANAGER)
    reply = busy.command("/hourglass history acme", STRANGER)
    assert "only managers" in reply.text and "undid" not in reply.text


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("acme globex", "give a customer or an @person, not both"),
        ("acme 2026-11 extra", "give at most a customer or an @person, and a month"),
        ("2026-13", "`2026-13` is not a month (use YYYY-MM)"),
        ("2026-11 2026-12", "give one month"),
        ("nosuch", "there is no customer called `nosuch`"),
        ("@nobody", "there is nobody called `@nobody`"),
    ],
)
def test_bad_input_is_one_line_with_the_usage(busy, typed, why):
    reply = busy.command(f"/hourglass history {typed}", MANAGER)
    assert reply.text.startswith(":warning:") and why.lower() in reply.text.lower(), reply.text
    assert USAGE in reply.text
    assert "undid" not in reply.text


def test_a_long_history_pages_with_more(acme):
    start = acme.clock.now()
    with acme.database.session() as db:
        customer_id = get_customer(db, "acme").id
        for n in range(1, 501):
            AuditLog.record(
                db,
                actor=MANAGER,
                action="customer.edit",
                subject_kind="customer",
                subject_id=customer_id,
                at=start - timedelta(minutes=n),
                customer_id=customer_id,
                before={"customer": "acme", "seats": n},
                after={"seats": n + 1},
                reason=f"round {n} of the seat count review with the customer's finance team, "
                "who asked for one more seat each time they hired someone for the help desk",
            )
    reply = acme.command("/hourglass history acme", MANAGER)
    assert "newest first: 500" in reply.text and "more (shown: 1–" in reply.text
    seen, blocks = [], reply.body["blocks"]
    while True:
        text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
        seen += [
            int(line.split("seats ")[1].split(" ")[0])
            for line in text.splitlines()
            if "edited acme: seats" in line
        ]
        value = next(
            (
                e["value"]
                for b in blocks
                for e in b.get("elements", [])
                if e.get("action_id") == ACTION_MORE
            ),
            None,
        )
        if value is None:
            break
        count = len(acme.standin.responses)
        assert acme.action(ACTION_MORE, value, user=MANAGER).status == 200
        (page,) = acme.standin.responses[count:]
        blocks = page["blocks"]
    assert seen == list(range(1, 501))  # each once, newest first


def test_help_lists_history(acme):
    text = acme.command("/hourglass help", MANAGER).text
    assert f"`{USAGE}`" in text


def test_the_cli_is_named_as_the_actor(acme):
    with acme.database.session() as db:
        AuditLog.record(
            db,
            actor="cli",
            action="role.add",
            subject_kind="user",
            subject_id=STRANGER,
            at=acme.clock.now(),
            before={"role": None},
            after={"role": "agent"},
        )
        assert db.scalar(select(func.count()).select_from(AuditEntry)) == 1
    assert history_lines(acme) == [
        f"Fri 20 Nov 10:00 cli made <@{STRANGER}> an agent (had no role)"
    ]
