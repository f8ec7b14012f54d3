"""The start-up record of policy versions (bot/reports/policy_record.py) when processes start
at once, on SQLite and Postgres."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.policy.loader import default_policy_text, parse_policy
from bot.reports.policy_record import check_recorded
from store.models import PolicyVersionRecord

TEXT = (
    default_policy_text()
    + '\n[[versions]]\neffective_from = "2026-12-01"\nprovider.hourly_rate = "120.00"\n'
)
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.slow  # issue 18's proof: transactions at once
def test_four_processes_starting_at_once_record_the_versions_once(database):
    """The web workers and the clock start together on an empty table: the check reads
    nothing recorded and inserts, under one lock, so the versions are in force once."""
    policy = parse_policy(TEXT, "policy.toml")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            with database.session() as db:
                check_recorded(db, policy, NOW)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with database.session() as db:
        rows = list(db.scalars(select(PolicyVersionRecord)))
    in_force = [row.effective_from for row in rows if row.superseded_at is None]
    assert len(in_force) == 2 and len(rows) == 2, in_force
