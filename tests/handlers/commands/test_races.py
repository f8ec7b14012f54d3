"""Check-then-insert rules hold when the requests that could break them come at once, on
SQLite and Postgres (docs/architecture.md, "Locks"): each test starts its requests together
on threads, each its own HTTP request and so its own session and connection."""

from __future__ import annotations

import threading
from datetime import date
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from store.models import TimeEntry
from tests.harness import AGENT, MANAGER

pytestmark = pytest.mark.slow  # a few dozen signed requests per test, several at once


def together(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions on threads released at once by a barrier; their results in order."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        barrier.wait()
        results[index] = action()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def add_customers(slack, names):
    for name in names:
        slack.command(f"/hourglass customer add {name} plan=professional", MANAGER)


def test_four_logs_of_12h_for_four_customers_at_once_leave_at_most_a_day(slack):
    names = ["acme", "globex", "initech", "umbrella"]
    add_customers(slack, names)
    for day in ("2026-11-16", "2026-11-17", "2026-11-18"):
        replies = together(
            *(lambda name=name: slack.command(f"/log 12h {name} on {day}") for name in names)
        )
        logged = [r for r in replies if "Logged 12h" in r.text]
        refused = [r for r in replies if "more than a day has" in r.text]
        assert len(logged) == 2 and len(refused) == 2, [r.text for r in replies]
        assert all(len(r.text.splitlines()) <= 2 for r in refused), [r.text for r in refused]
        with slack.database.session() as db:
            total = db.scalar(
                select(func.sum(TimeEntry.minutes)).where(
                    TimeEntry.agent_id == AGENT, TimeEntry.work_date == date.fromisoformat(day)
                )
            )
        assert total == 24 * 60
