"""SQLite writers wait their turn in store.db's WriterQueue, not in SQLite's busy handler
(issue 11: the busy handler's back-off put `/log`'s p99 at seconds under load).

Proof without timing: with SQLite's busy timeout cut to 1 ms, writers that overlap would
fail with "database is locked" if they met in SQLite; through the queue every one commits.
Two `Database` objects on one file stand for two processes: each has its own queue and its
own open lock file, so they meet at the `flock`, as gunicorn's workers do."""

from __future__ import annotations

import shutil
import time
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

import store.db
from store.db import Database, writer_queue
from store.models import Role
from tests.concurrency import together


def impatient(url: str) -> Database:
    """The database with SQLite's busy timeout at 1 ms: a writer meeting another fails."""
    database = Database(url)

    @event.listens_for(database.engine, "connect")
    def _short(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=1")

    return database


def test_overlapping_writers_from_two_processes_all_commit(tmp_path, sqlite_template):
    path = tmp_path / "hourglass.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    first, second = impatient(url), impatient(url)

    def writer(database: Database, n: int):
        def write() -> int:
            for i in range(10):
                with database.session() as db:
                    db.execute(
                        text(
                            "INSERT INTO roles (user_id, role, granted_by, granted_at) "
                            "VALUES (:u, 'agent', 'test', '2026-11-20 10:00:00')"
                        ),
                        {"u": f"U{n:02d}{i:02d}"},
                    )
                    time.sleep(0.002)  # hold the write lock a while: others arrive meanwhile
            return 10

        return write

    try:
        results = together(*(writer((first, second)[n % 2], n) for n in range(8)))
        assert results == [10] * 8, results
        with first.session(readonly=True) as db:
            assert db.scalar(select(func.count()).select_from(Role)) == 80
    finally:
        first.dispose()
        second.dispose()


def test_readers_and_other_databases_take_no_turn(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    assert database._writers is not None
    assert writer_queue(Database("sqlite://").engine) is None  # in memory: one connection
    with database.session(readonly=True) as db:
        db.execute(text("SELECT 1"))
    assert not (tmp_path / "x.db.write-lock").exists()  # a reader never touched the queue
    with database.session() as db:
        db.execute(text("SELECT 1"))
    assert (tmp_path / "x.db.write-lock").exists()
    database.dispose()


def test_a_writer_stuck_in_the_queue_leaves_it_after_sqlites_busy_timeout(
    tmp_path, sqlite_template, monkeypatch
):
    """Waiting is bounded as SQLite's busy timeout bounds it: behind a writer that never
    ends, the next one gets "database is locked" (here after 50 ms), never a hang."""
    path = tmp_path / "hourglass.db"
    shutil.copy(sqlite_template, path)
    holder, waiter = Database(f"sqlite:///{path}"), impatient(f"sqlite:///{path}")
    monkeypatch.setattr(store.db, "QUEUE_PATIENCE", 0.05)
    try:
        with holder.session() as db:
            db.execute(text("DELETE FROM roles"))  # holds the turn and the write lock
            with pytest.raises(OperationalError, match="locked"), waiter.session() as other:
                other.execute(text("DELETE FROM roles"))
    finally:
        holder.dispose()
        waiter.dispose()
