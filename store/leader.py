"""Which clock leads: the lock that lets exactly one `hourglass clock` sweep (issue 12).

- **Postgres**: a session-level advisory lock (`pg_try_advisory_lock`) taken on a connection
  of its own, held open (autocommit, never idle in a transaction) for as long as the
  process leads. The server drops the lock with the session: at once when the process dies
  (`kill -9` closes its socket), and within about 15 s when its host or network does, since
  the connection asks both ends to probe the peer (TCP keepalives after 5 s idle, every 2 s,
  3 misses; `tcp_user_timeout` 10 s for data never acknowledged). `hold()` is called every
  tick: a leader checks its session is still alive with one `select 1`, a follower tries the
  lock again.
- **SQLite**: an exclusive `flock` on a file beside the database (`hourglass.db.clock-lock`,
  holding the leader's pid), held for the process's life; the kernel drops it when the
  process dies. SQLite is one host's database, so a second clock is refused, not kept
  waiting (the clock's policy, app.py).

What a follower does is the clock's business (app.py); this module only holds the lock. The
outbox's per-row fencing lease (bot/alerts/delivery.py) stays the safety net for the moment
two processes both believe they lead.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

log = logging.getLogger("hourglass." + __name__)

# The advisory lock's key: "hourglas" as a big-endian 64-bit integer. Advisory locks are
# scoped to one database, so two Hourglass databases on one server never share it.
CLOCK_LOCK_KEY = int.from_bytes(b"hourglas", "big")

# How the leader's connection notices a dead peer, on both ends. Client side: libpq's
# keepalive and tcp_user_timeout parameters; server side: the same settings for this
# session only (`options`), so the server frees the lock of a vanished host in seconds,
# not after the operating system's two-hour keepalive default.
KEEPALIVE_IDLE = 5  # seconds idle before the first probe
KEEPALIVE_INTERVAL = 2  # seconds between probes
KEEPALIVE_COUNT = 3  # probes missed before the connection is dead
TCP_USER_TIMEOUT_MS = 10_000  # data sent but not acknowledged for this long: dead
CONNECT_TIMEOUT = 5  # seconds


class Leadership(Protocol):
    def hold(self) -> bool:
        """True if this process leads now: takes the lock if free, checks it if held."""

    def holder(self) -> str | None:
        """Who holds the lock, if another process does and it can be told (a pid)."""

    def release(self) -> None:
        """Let the lock go (on shutdown); the next `hold()` may take it again."""


def leadership(url: str) -> Leadership:
    """The lock for the database behind `url`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        return FileLock(None if path in (None, "", ":memory:") else Path(f"{path}.clock-lock"))
    return AdvisoryLock(url)


class AdvisoryLock:
    """A Postgres session-level advisory lock on a dedicated connection."""

    def __init__(self, url: str, key: int = CLOCK_LOCK_KEY) -> None:
        self.key = key
        self.reason: str | None = None  # why the last hold() failed, if it did
        options = make_url(url).query.get("options")
        server_side = (
            f"-c tcp_keepalives_idle={KEEPALIVE_IDLE} "
            f"-c tcp_keepalives_interval={KEEPALIVE_INTERVAL} "
            f"-c tcp_keepalives_count={KEEPALIVE_COUNT} "
            f"-c tcp_user_timeout={TCP_USER_TIMEOUT_MS}"
        )
        if isinstance(options, str):
            server_side = f"{options} {server_side}"
        connect_args: dict[str, Any] = {
            "application_name": "hourglass clock",
            "connect_timeout": CONNECT_TIMEOUT,
            "keepalives": 1,
            "keepalives_idle": KEEPALIVE_IDLE,
            "keepalives_interval": KEEPALIVE_INTERVAL,
            "keepalives_count": KEEPALIVE_COUNT,
            "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
            "options": server_side,
        }
        self._engine = create_engine(
            url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=connect_args
        )
        self._connection: Connection | None = None
        self._leading = False

    def hold(self) -> bool:
        self.reason = None
        if self._leading:
            try:
                assert self._connection is not None
                self._connection.exec_driver_sql("select 1")
                return True
            except DBAPIError as exc:  # the session, and the lock with it, is gone
                self._drop(exc)
        try:
            if self._connection is None:
                self._connection = self._engine.connect()
            taken = self._connection.exec_driver_sql(
                "select pg_try_advisory_lock(%(key)s)", {"key": self.key}
            ).scalar()
        except DBAPIError as exc:
            self._drop(exc)
            return False
        self._leading = bool(taken)
        return self._leading

    def holder(self) -> str | None:
        """The pid of the session holding the lock (a server process id, not the clock's)."""
        return None

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(DBAPIError):
                if self._leading:
                    connection.exec_driver_sql(
                        "select pg_advisory_unlock(%(key)s)", {"key": self.key}
                    )
            with contextlib.suppress(DBAPIError):
                connection.close()
        self._leading = False
        self._engine.dispose()

    def _drop(self, exc: DBAPIError) -> None:
        lines = str(exc.orig or exc).strip().splitlines()
        self.reason = lines[0] if lines else type(exc).__name__
        connection, self._connection = self._connection, None
        self._leading = False
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()
                connection.close()


class FileLock:
    """An exclusive flock on a file beside the SQLite database, holding the leader's pid.
    `path` None (an in-memory database): one process only, so it always leads."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.reason: str | None = None
        self._file: IO[str] | None = None

    def hold(self) -> bool:
        if self._file is not None or self.path is None:
            return True
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the process's life
        try:
            _flock(handle, take=True)
        except BlockingIOError:
            handle.close()
            self.reason = f"{self.path} is locked"
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def holder(self) -> str | None:
        if self.path is None:
            return None
        try:
            text = self.path.read_text().strip()
        except OSError:
            return None
        return text if text.isdigit() else None

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
            _flock(handle, take=False)
            handle.close()


def _flock(handle: IO[str], *, take: bool) -> None:
    """Take (without waiting: BlockingIOError if held) or let go of the file's lock."""
    import fcntl  # lazy: POSIX-only, as the migration lock in store/db.py

    fcntl.flock(handle, (fcntl.LOCK_EX | fcntl.LOCK_NB) if take else fcntl.LOCK_UN)
