"""bot.billing.corrections: undo and edit of logged time, audited, with billing re-derived;
and the repeat check. Against a real database (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.billing import corrections, timelog
from bot.customers import get_customer
from bot.errors import InputError, NotFound, PermissionDenied
from bot.policy.loader import load_policy
from bot.reports.statement import build_statement
from store.models import AuditEntry, TimeEntry
from tests import factories

POLICY = load_policy(None)
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
AGENT, OTHER, MANAGER = "UAGENT001", "UAGENT002", "UMANAGER1"


def log(db, text, agent=AGENT, now=NOW):
    request = timelog.parse_log(text.split(), POLICY, TODAY)
    return timelog.log_time(db, POLICY, request, agent_id=agent, now=now).entry


def days(db, name="acme"):
    return build_statement(db, POLICY, get_customer(db, name), 2026, 11, NOW)["days"]


@pytest.fixture
def db(database):
    with database.session() as session:
        factories.customer(session, POLICY, "acme", now=NOW)
        factories.customer(session, POLICY, "globex", now=NOW)
        yield session


def test_parse_edit_reads_each_change_in_any_order():
    parse = corrections.parse_edit
    assert parse(["45m"], POLICY, TODAY) == corrections.EntryEdit(45, None, None)
    assert parse(["on", "2026-11-19"], POLICY, TODAY).work_date == date(2026, 11, 19)
    assert parse(["customer", "Globex"], POLICY, TODAY).customer == "globex"
    both = parse(["on", "yesterday", "1h"], POLICY, TODAY)
    assert (both.minutes, both.work_date) == (60, date(2026, 11, 19))


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        ([], "say what to change"),
        (["30m", "45m"], "a duration is given twice"),
        (["on"], "`on` needs a date"),
        (["customer"], "`customer` needs a name"),
        (["on", "2026-11-21"], "in the future"),
        (["13h"], "longer than one entry may be"),
    ],
)
def test_parse_edit_refusals(tokens, message):
    with pytest.raises(InputError, match=message):
        corrections.parse_edit(tokens, POLICY, TODAY)


def test_undo_by_id_is_audited_and_rederives_the_day(db):
    first = log(db, "5m acme")
    second = log(db, "30m acme")
    result = corrections.undo_entry(db, POLICY, first.id, actor=AGENT, role="agent", now=NOW)
    assert result.entry.id == first.id and first.undone_at == NOW
    assert second.undone_at is None
    assert days(db) == [{"date": "2026-11-20", "logged_minutes": 30, "billed_minutes": 30}]
    (audit,) = db.scalars(select(AuditEntry))
    assert (audit.subject_kind, audit.subject_id, audit.action, audit.actor, audit.at) == (
        "time_entry",
        str(first.id),
        "time_entry.undo",
        AGENT,
        NOW,
    )
    assert audit.before["minutes"] == 5 and audit.before["customer"] == "acme"
    assert audit.after is None


def test_an_agent_may_not_undo_anothers_entry_but_a_manager_may(db):
    theirs = log(db, "30m acme", agent=OTHER)
    with pytest.raises(PermissionDenied, match="only they or a manager"):
        corrections.undo_entry(db, POLICY, theirs.id, actor=AGENT, role="agent", now=NOW)
    assert theirs.undone_at is None and db.scalars(select(AuditEntry)).all() == []
    corrections.undo_entry(db, POLICY, theirs.id, actor=MANAGER, role="manager", now=NOW)
    assert theirs.undone_at == NOW
    assert db.scalar(select(AuditEntry.actor)) == MANAGER


def test_undo_without_an_id_takes_back_the_last_entry(db):
    log(db, "5m acme")
    last = log(db, "30m acme", now=NOW + timedelta(minutes=5))
    result = corrections.undo_entry(db, POLICY, None, actor=AGENT, role="agent", now=NOW)
    assert result.entry.id == last.id


def test_undo_of_an_unknown_or_undone_entry_is_refused(db):
    entry = log(db, "30m acme")
    with pytest.raises(NotFound, match="no time entry #99"):
        corrections.undo_entry(db, POLICY, 99, actor=AGENT, role="agent", now=NOW)
    corrections.undo_entry(db, POLICY, entry.id, actor=AGENT, role="agent", now=NOW)
    with pytest.raises(InputError, match="already undone"):
        corrections.undo_entry(db, POLICY, entry.id, actor=AGENT, role="agent", now=NOW)


def edit(db, entry, text, actor=AGENT, role="agent"):
    change = corrections.parse_edit(text.split(), POLICY, TODAY)
    return corrections.edit_entry(db, POLICY, entry.id, change, actor=actor, role=role, now=NOW)


def test_edit_duration_rederives_the_statement_and_keeps_what_it_was(db):
    entry = log(db, "3h acme")
    edited = edit(db, entry, "30m")
    assert entry.minutes == 30 and edited.left is None
    assert days(db) == [{"date": "2026-11-20", "logged_minutes": 30, "billed_minutes": 30}]
    (audit,) = db.scalars(select(AuditEntry))
    assert (audit.action, audit.actor, audit.before["minutes"], audit.after["minutes"]) == (
        "time_entry.edit",
        AGENT,
        180,
        30,
    )
    assert corrections.describe_change(edited.before, entry) == "was 3h"


def test_edit_date_moves_the_time_to_the_other_day(db):
    entry = log(db, "1h acme")
    edited = edit(db, entry, "on 2026-11-19")
    assert days(db) == [{"date": "2026-11-19", "logged_minutes": 60, "billed_minutes": 60}]
    assert edited.left is not None and edited.left.receipt is None  # the old day is empty
    assert edited.result.receipt is not None
    assert edited.result.receipt.work_date == date(2026, 11, 19)


def test_edit_customer_moves_the_billing_to_the_other_customer(db):
    factories.hour_block(db, POLICY, get_customer(db, "globex"), hours=10, now=NOW)
    entry = log(db, "1h acme")
    edited = edit(db, entry, "customer globex")
    assert days(db, "acme") == []
    assert days(db, "globex") == [
        {"date": "2026-11-20", "logged_minutes": 60, "billed_minutes": 60}
    ]
    assert edited.result.remaining_minutes == 9 * 60
    assert edited.left is not None and edited.left.customer.name == "acme"
    assert db.scalar(select(AuditEntry.before))["customer"] == "acme"


def test_edit_checks_what_logging_checks_and_refuses_no_change(db):
    entry = log(db, "12h acme")
    log(db, "12h acme on 2026-11-19")
    log(db, "1h acme on 2026-11-19")
    with pytest.raises(InputError, match="more than a day has"):
        edit(db, entry, "on 2026-11-19")
    with pytest.raises(InputError, match="nothing changed"):
        edit(db, entry, "12h")
    with pytest.raises(InputError, match="no customer called"):
        edit(db, entry, "customer nobody")
    assert (entry.minutes, entry.work_date) == (720, TODAY)
    assert db.scalars(select(AuditEntry)).all() == []


def test_a_manager_edits_an_agents_entry_an_agent_does_not(db):
    entry = log(db, "1h acme", agent=OTHER)
    with pytest.raises(PermissionDenied):
        edit(db, entry, "30m")
    edit(db, entry, "30m", actor=MANAGER, role="manager")
    assert entry.minutes == 30 and db.scalar(select(AuditEntry.actor)) == MANAGER


def test_a_repeat_is_the_same_entry_within_sixty_seconds(db):
    entry = log(db, "30m acme fixed it")
    again = timelog.parse_log(["30m", "ACME", "fixed", "it"], POLICY, TODAY)
    find = corrections.find_repeat
    assert find(db, again, agent_id=AGENT, now=NOW + timedelta(seconds=60)) is entry
    assert find(db, again, agent_id=AGENT, now=NOW + timedelta(seconds=61)) is None
    assert find(db, again, agent_id=OTHER, now=NOW) is None
    other = timelog.parse_log(["30m", "acme", "fixed", "it", "again"], POLICY, TODAY)
    assert find(db, other, agent_id=AGENT, now=NOW) is None
    corrections.undo_entry(db, POLICY, entry.id, actor=AGENT, role="agent", now=NOW)
    assert find(db, again, agent_id=AGENT, now=NOW) is None
    assert db.scalar(select(TimeEntry.id).where(TimeEntry.undone_at.is_(None))) is None
