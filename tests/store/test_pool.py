"""Pooled Postgres connections are pinged only after being idle (store.db._ping_when_idle):
one the server dropped meanwhile is replaced before any request uses it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

import store.db
from store.db import Database


def test_a_connection_dropped_while_idle_is_replaced_unseen(database, monkeypatch):
    if database.dialect != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    with database.session() as db:
        pid = db.scalar(text("SELECT pg_backend_pid()"))
    admin = create_engine(database.engine.url)
    with admin.connect() as connection:  # the server drops the pooled connection
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    monkeypatch.setattr(store.db, "PING_AFTER_IDLE", 0.0)  # as after a second of quiet
    with database.session() as db:
        assert db.scalar(text("SELECT pg_backend_pid()")) != pid


def test_a_connection_in_use_a_moment_ago_is_not_pinged(database):
    if database.dialect != "postgresql":
        pytest.skip("SQLite has no server to ping")
    fresh = Database(database.engine.url.render_as_string(hide_password=False))
    pings: list[object] = []
    ping = fresh.engine.dialect.do_ping
    fresh.engine.dialect.do_ping = lambda c: bool(pings.append(c)) or ping(c)  # type: ignore[method-assign]
    try:
        for _ in range(3):  # three sessions, one pooled connection, no round trip to ping
            with fresh.session(readonly=True) as db:
                db.execute(text("SELECT 1"))
        assert pings == []
    finally:
        fresh.dispose()
