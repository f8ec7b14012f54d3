"""Alert rules run by the clock: each reads only what is due and raises alerts via the outbox.

The rules themselves are listed in one place, `bot.features`, and handed to `run_sweep`, so
this package never imports the features it serves. A rule takes the session, the policy and the
current instant, and returns how many alerts it raised or moved on. Each runs in its own
transaction, so one failing rule does not hold back the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.policy.model import Policy
from store.db import Database

log = logging.getLogger("hourglass." + __name__)

SweepRule = Callable[[Session, Policy, datetime], int]


def run_sweep(
    database: Database,
    policy: Policy,
    now: datetime,
    rules: Sequence[tuple[str, SweepRule]],
) -> dict[str, int]:
    """Run each rule in its own transaction; re-raise the first failure after all have run."""
    results: dict[str, int] = {}
    failures: list[tuple[str, Exception]] = []
    for name, rule in rules:
        try:
            with database.session() as db:
                results[name] = rule(db, policy, now)
        except Exception as exc:  # noqa: BLE001 - logged and re-raised after the other rules
            log.exception("sweep rule %s failed", name)
            failures.append((name, exc))
    if failures:
        first_name, first_error = failures[0]
        raise RuntimeError(f"sweep rule {first_name} failed: {first_error}") from first_error
    return results
