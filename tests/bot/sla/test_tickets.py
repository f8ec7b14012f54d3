"""bot.sla.tickets against a real database (SQLite and Postgres): derived clocks, policy edits,
two sweeps at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot import customers as customer_service
from bot.features import run_sweep
from bot.policy.loader import default_policy_text, parse_policy
from bot.sla import tickets as ticket_service
from bot.sla.eventlog import EventKind
from store.models import Alert, Ticket
from tests import factories

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Mon 09:00 London


def setup(database, policy, plan="lite"):
    with database.session() as db:
        customer = factories.customer(db, policy, "acme", plan=plan, channel="C1", now=T0)
        ticket, _ = ticket_service.open_ticket(
            db,
            policy,
            customer=customer,
            priority="priority",
            subject="Export broken",
            opened_at=T0,
            actor="U1",
            now=T0,
        )
        return customer.id, ticket.id


def clocks(database, policy, ticket_id, now):
    with database.session() as db:
        ticket = db.get(Ticket, ticket_id)
        customer = customer_service.get_customer(db, "acme")
        return ticket_service.clocks_for(db, policy, ticket, customer, now)


def event(database, policy, ticket_id, kind, now):
    with database.session() as db:
        ticket = db.get(Ticket, ticket_id)
        customer = customer_service.get_customer(db, "acme")
        ticket_service.record(db, policy, ticket, customer, kind, actor="U1", now=now)


def test_a_policy_edit_recomputes_due_times_without_losing_counted_time(database, policy):
    _, ticket_id = setup(database, policy)
    event(database, policy, ticket_id, EventKind.PAUSED, T0 + timedelta(hours=3))
    event(database, policy, ticket_id, EventKind.RESUMED, T0 + timedelta(hours=5))
    now = T0 + timedelta(hours=6)
    before = clocks(database, policy, ticket_id, now)
    assert before.first_response.elapsed == timedelta(hours=4)
    # 4h left at 15:00: 15:00-18:00, then 08:00-09:00 on Tuesday
    assert before.first_response.due == T0 + timedelta(days=1)

    stricter = parse_policy(
        default_policy_text().replace(
            "[sla.priorities.priority]       # impaired, general functions in place\n"
            'first_response = "8h"',
            '[sla.priorities.priority]\nfirst_response = "5h"',
        )
    )
    after = clocks(database, stricter, ticket_id, now)
    assert after.first_response.elapsed == timedelta(hours=4)  # nothing counted is lost
    assert after.first_response.due == T0 + timedelta(hours=7)  # 1h left at 15:00


def test_two_sweeps_at_once_raise_one_alert(database, policy):
    _, ticket_id = setup(database, policy)
    later = T0 + timedelta(hours=8, minutes=30)  # breached at 17:00, not yet escalated
    errors = []

    def sweep():
        try:
            run_sweep(database, policy, later)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Alert)) == 1
        alert = db.scalar(select(Alert))
        assert alert.kind == "sla_breach" and alert.version == 1


def test_statement_section_without_now_uses_the_months_end(database, policy):
    from bot.reports.statement import sla_section

    customer_id, _ = setup(database, policy)
    with database.session() as db:
        customer = customer_service.get_customer(db, "acme")
        section = sla_section(
            db, policy, customer, datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date()
        )
    assert section == {
        "tickets": 1,
        "responded": 0,
        "breached": 1,
        "within_target_ratio": 0.0,
        "p90_first_response_minutes": None,
    }


def test_after_a_policy_edit_the_sweep_rechecks_open_tickets_once(database, policy):
    _, ticket_id = setup(database, policy)
    run_sweep(database, policy, T0 + timedelta(hours=1))
    with database.session() as db:
        # Under the default policy nothing changes before the warning at 13:30.
        assert db.get(Ticket, ticket_id).next_check_at == T0 + timedelta(hours=4, minutes=30)
    stricter = parse_policy(
        default_policy_text().replace(
            "[sla.priorities.priority]       # impaired, general functions in place\n"
            'first_response = "8h"\nfirst_response_internal = "6h"',
            '[sla.priorities.priority]\nfirst_response = "2h"\nfirst_response_internal = "1h"',
        )
    )
    noon = T0 + timedelta(hours=2, minutes=30)  # 11:30
    run_sweep(database, stricter, noon)
    with database.session() as db:
        assert db.scalar(select(Alert.kind)) == "sla_breach"  # due 11:00 under the new policy
        next_check = db.get(Ticket, ticket_id).next_check_at
    assert next_check > noon
    run_sweep(database, stricter, noon + timedelta(minutes=1))  # same policy: no recheck
    with database.session() as db:
        assert db.get(Ticket, ticket_id).next_check_at == next_check


def test_a_warning_without_a_public_target_names_no_due_time(database, policy):
    internal_only = parse_policy(
        default_policy_text().replace(
            "[sla.priorities.priority]       # impaired, general functions in place\n"
            'first_response = "8h"\nfirst_response_internal = "6h"',
            '[sla.priorities.priority]\nfirst_response_internal = "6h"',
        )
    )
    setup(database, internal_only)
    run_sweep(database, internal_only, T0 + timedelta(hours=5))  # warned at 13:30
    with database.session() as db:
        alert = db.scalar(select(Alert))
    assert alert.kind == "sla_warning"
    assert "first response is taking longer than the team aims for" in alert.text
    assert "6h" not in alert.text and "due" not in alert.text


def test_a_plan_that_starts_escalating_is_rechecked_by_the_sweep(database, policy):
    _, ticket_id = setup(database, policy)  # Lite: breached 17:00, never escalated
    tuesday = T0 + timedelta(days=1, hours=1)  # Tue 10:00, 2h of business time past it
    run_sweep(database, policy, tuesday)
    with database.session() as db:
        assert db.scalar(select(Alert.kind)) == "sla_breach"
        # Next: the resolution warning, long after the edit below.
        assert db.get(Ticket, ticket_id).next_check_at > tuesday + timedelta(hours=1)
    escalating = parse_policy(default_policy_text().replace("escalate = false", "escalate = true"))
    run_sweep(database, escalating, tuesday + timedelta(minutes=1))
    with database.session() as db:
        alert = db.scalar(select(Alert))
    assert alert.kind == "sla_escalation" and "Escalated to *account manager*" in alert.text
