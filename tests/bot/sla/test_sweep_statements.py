"""The SLA sweep reads its batch at once (issue 11, bench/sweep.py): the customers, event logs
and alerts of every due ticket in one query each, so a ticket due adds only its own writes
(its alert, its next check), not reads. Counted on both databases (tests/statements.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.sla import tickets as ticket_service
from bot.sla.sweep import sweep_tickets
from tests import factories
from tests.bot.sla.test_tickets import T0
from tests.statements import counting

PER_TICKET = 2  # its warning inserted, its next_check_at updated
FIXED = 8  # the policy mark, the due tickets, the batch's customers, logs and alerts


def open_tickets(database, policy, count: int) -> None:
    with database.session() as db:
        customers = [
            factories.customer(db, policy, name, plan="lite", channel=channel, now=T0)
            for name, channel in (("acme", "CACME01"), ("globex", "CGLOBEX1"))
        ]
        for n in range(count):
            ticket_service.open_ticket(
                db, policy, customer=customers[n % 2], priority="priority",
                subject=f"broken {n}", opened_at=T0, actor="U1", now=T0,
            )  # fmt: skip


def test_each_due_ticket_adds_its_writes_and_no_reads(database, policy):
    open_tickets(database, policy, 6)
    with counting(database.engine) as seen, database.session() as db:
        moved = sweep_tickets(db, policy, T0 + timedelta(hours=5))  # each warned at 13:30
    assert moved == 6
    assert len(seen) <= FIXED + PER_TICKET * 6, "\n".join(seen)
