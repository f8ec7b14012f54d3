"""Alert rules run by the clock: each reads only what is due and raises alerts via the outbox.

Every rule is registered here, in one place. A rule takes the session, the policy and the
current instant, and returns how many alerts it raised or moved on. Each runs in its own
transaction, so one failing rule does not hold back the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.policy import Policy
from store.db import Database

log = logging.getLogger(__name__)

SweepRule = Callable[[Session, Policy, datetime], int]


def all_rules() -> list[tuple[str, SweepRule]]:
    """Every alert rule, in the order they run."""
    from bot import calls
    from bot.block_alerts import sweep_block_expired, sweep_block_expiring
    from bot.bookings import reminder_sweep
    from bot.tickets import sweep_tickets

    return [
        ("block_expiring", sweep_block_expiring),
        ("block_expired", sweep_block_expired),
        ("booking_reminders", reminder_sweep),
        ("timer_forgotten", calls.timer_forgotten_rule),
        ("sla", sweep_tickets),
    ]


def run_sweep(database: Database, policy: Policy, now: datetime) -> dict[str, int]:
    results: dict[str, int] = {}
    failures = []
    for name, rule in all_rules():
        try:
            with database.session() as db:
                results[name] = rule(db, policy, now)
        except Exception as exc:  # noqa: BLE001 - logged and re-raised after the other rules
            log.exception("sweep rule %s failed", name)
            failures.append((name, exc))
    if failures:
        name, exc = failures[0]
        raise RuntimeError(f"sweep rule {name} failed: {exc}") from exc
    return results
