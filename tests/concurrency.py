"""Running things at once in tests (issue 18's proofs): `together` releases threads at one
barrier; `wait_until_blocked` waits until another transaction waits for a lock, so a test can
commit the first of two transactions only once the second is known to be waiting for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from store.db import Database

_WAITING = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def together(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions on threads released at once by a barrier; their results in order (an
    exception is returned as the result, not raised)."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = action()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def wait_until_blocked(database: Database) -> None:
    """Until a transaction in this test's database waits for a lock (Postgres). SQLite has
    no such view: a moment, for the other thread to reach BEGIN IMMEDIATE (if it has not, it
    only starts later, after the commit: the same outcome)."""
    if database.dialect != "postgresql":
        time.sleep(0.3)
        return
    for _ in range(200):
        with database.engine.connect() as connection:
            if connection.scalar(_WAITING):
                return
        time.sleep(0.05)
    raise AssertionError("the other transaction never waited for this one's lock")
