"""bot.calls.corrections: a call undone is kept, audited, and its month re-measured from the
remaining calls, alerts following; the repeat check. Against a real database (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.calls import calls
from bot.calls import corrections as call_corrections
from bot.calls.fair_use import Status
from bot.errors import InputError, PermissionDenied
from bot.policy.loader import load_policy
from store.models import Alert, AuditEntry
from tests import factories

POLICY = load_policy(None)
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
AGENT, OTHER, MANAGER = "UAGENT001", "UAGENT002", "UMANAGER1"


@pytest.fixture
def db(database):
    with database.session() as session:
        factories.customer(session, POLICY, "acme", now=NOW, team="CACMETEAM")
        yield session


def record(db, minutes, caller="jane", agent=AGENT, note=None, now=NOW):
    from bot.customers import get_customer

    return calls.record_call(
        db,
        POLICY,
        customer=get_customer(db, "acme"),
        caller=caller,
        agent_id=agent,
        duration=timedelta(minutes=minutes),
        on=None,
        user_tz=LONDON,
        quality=None,
        note=note,
        now=now,
    ).call


def states(db) -> dict[str, str]:
    return {a.key: a.state for a in db.scalars(select(Alert))}


def test_undoing_a_mistyped_call_gives_the_allowance_back_and_withdraws_its_alerts(db):
    record(db, 10)
    typo = record(db, 180)  # meant 3m: long call, allowance and review, caller and account
    assert set(states(db).values()) == {"raised"} and len(states(db)) == 5
    undone = call_corrections.undo_call(db, POLICY, typo.id, actor=AGENT, role="agent", now=NOW)
    assert typo.undone_at == NOW
    assert (undone.caller_seconds, undone.caller_status) == (600, Status.WITHIN)
    assert undone.account_seconds == 600
    assert set(states(db).values()) == {"withdrawn"}
    long_call = db.scalar(select(Alert).where(Alert.key == f"long_call:{typo.id}"))
    assert f"call #{typo.id} was undone by <@{AGENT}>" in long_call.text
    assert long_call.blocks is None  # its buttons go with it
    (audit,) = db.scalars(select(AuditEntry))
    assert (audit.subject_kind, audit.subject_id, audit.action, audit.actor, audit.at) == (
        "phone_call",
        str(typo.id),
        "phone_call.undo",
        AGENT,
        NOW,
    )
    assert audit.before["seconds"] == 180 * 60 and audit.before["caller"] == "jane"
    # No longer in a list, nor counted again.
    assert [c.id for c, _ in call_corrections.calls_on(db, POLICY, AGENT, date(2026, 11, 20))] == [
        1
    ]


def test_an_agent_undoes_only_their_own_call_a_manager_anyones(db):
    theirs = record(db, 5, agent=OTHER)
    with pytest.raises(PermissionDenied, match="only they or a manager"):
        call_corrections.undo_call(db, POLICY, theirs.id, actor=AGENT, role="agent", now=NOW)
    assert theirs.undone_at is None
    call_corrections.undo_call(db, POLICY, theirs.id, actor=MANAGER, role="manager", now=NOW)
    assert theirs.undone_at == NOW
    with pytest.raises(InputError, match="already undone"):
        call_corrections.undo_call(db, POLICY, theirs.id, actor=MANAGER, role="manager", now=NOW)


def test_undo_without_an_id_takes_back_the_last_call(db):
    record(db, 5)
    last = record(db, 7, now=NOW + timedelta(minutes=10))
    undone = call_corrections.undo_call(db, POLICY, None, actor=AGENT, role="agent", now=NOW)
    assert undone.call.id == last.id
    call_corrections.undo_call(db, POLICY, None, actor=AGENT, role="agent", now=NOW)
    with pytest.raises(InputError, match="no call to undo"):
        call_corrections.undo_call(db, POLICY, None, actor=AGENT, role="agent", now=NOW)


def test_a_repeat_is_the_same_call_within_sixty_seconds(db):
    from bot.customers import get_customer

    call = record(db, 5, note="reset")
    acme = get_customer(db, "acme")

    def find(at, note="reset", agent=AGENT):
        return call_corrections.find_repeat(
            db,
            POLICY,
            customer=acme,
            caller="jane",
            agent_id=agent,
            seconds=300,
            quality=None,
            note=note,
            on=None,
            now=at,
        )

    assert find(NOW + timedelta(seconds=60)) is call
    assert find(NOW + timedelta(seconds=61)) is None
    assert find(NOW, note="other") is None
    assert find(NOW, agent=OTHER) is None
