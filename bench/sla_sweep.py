"""Bench: the SLA sweep's cost follows the tickets that are due, not all tickets.

Runs the `sla` sweep rule over 20 due tickets with 0 and with 20,000 quiet ones beside them
(SQLite, temp folder) and prints the time ratio; it should stay near 1.

    python -m bench.sla_sweep        (from the repository root: it measures this checkout)
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.policy.loader import load_policy
from bot.sla.sweep import policy_fingerprint, sweep_tickets
from store.db import Database, migrate
from store.models import Customer, Ticket, TicketEventRecord
from store.repositories.sla import SlaPolicyMarks

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
DUE, QUIET = 20, 20_000


def build(folder: Path, quiet: int, policy) -> Database:
    url = f"sqlite:///{folder / f'bench-{quiet}.db'}"
    migrate(url)
    database = Database(url)
    with database.session() as db:
        SlaPolicyMarks.changed(db, policy_fingerprint(policy), NOW)  # as if swept before
        customer = Customer(
            name="acme",
            plan="professional",
            channel_id="C1",
            seats=1,
            created_at=NOW,
            created_by="bench",
        )
        db.add(customer)
        db.flush()
        for index in range(DUE + quiet):
            due = index < DUE
            opened = NOW - timedelta(hours=3) if due else NOW
            ticket = Ticket(
                customer_id=customer.id,
                priority="immediate" if due else "low",
                subject=f"t{index}",
                opened_at=opened,
                opened_by="bench",
                status="open",
                created_at=opened,
                next_check_at=NOW if due else NOW + timedelta(days=30),
            )
            db.add(ticket)
            db.flush()
            db.add(
                TicketEventRecord(
                    ticket_id=ticket.id, kind="opened", at=opened, actor="bench", created_at=opened
                )
            )
    return database


def timed(database: Database, policy) -> float:
    start = time.perf_counter()
    with database.session() as db:
        moved = sweep_tickets(db, policy, NOW)
    elapsed = time.perf_counter() - start
    assert moved == DUE, moved
    return elapsed


def main() -> None:
    policy = load_policy(None)
    with tempfile.TemporaryDirectory() as folder:
        base = timed(build(Path(folder), 0, policy), policy)
        crowded = timed(build(Path(folder), QUIET, policy), policy)
    print(
        f"sweep of {DUE} due tickets: alone {base * 1000:.1f} ms, "
        f"beside {QUIET} quiet ones {crowded * 1000:.1f} ms, ratio {crowded / base:.2f}"
    )


if __name__ == "__main__":
    main()
