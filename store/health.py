"""The database's part of `/healthz`: one `select 1`, answered within a short timeout.

The query runs on a worker thread so a database that does not answer (a server gone
silent, a network dropping packets) cannot hold the health check past its timeout; while
one check is still waiting, the next joins it instead of starting another, so a load
balancer polling a dead database never piles up threads or connections.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from sqlalchemy.exc import DBAPIError, OperationalError

from store.db import Database, unavailable

HEALTH_TIMEOUT = 2.0  # seconds


class DatabaseCheck:
    """`check()`: None if the database answered `select 1` in time, else one line why."""

    def __init__(self, database: Database, timeout: float = HEALTH_TIMEOUT) -> None:
        self.database = database
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="healthz")
        self._lock = threading.Lock()
        self._pending: Future[None] | None = None

    def check(self) -> str | None:
        with self._lock:
            if self._pending is None or self._pending.done():
                self._pending = self._pool.submit(self._select_one)
            pending = self._pending
        try:
            pending.result(timeout=self.timeout)
        except FutureTimeout:
            return f"database: no answer within {self.timeout:g} s"
        except OperationalError as exc:
            return str(unavailable(self.database.url, exc))
        except DBAPIError as exc:
            lines = str(exc.orig or exc).strip().splitlines()
            return f"database: {lines[0] if lines else type(exc).__name__}"
        return None

    def _select_one(self) -> None:
        with self.database.engine.connect() as connection:
            connection.exec_driver_sql("select 1").scalar()
