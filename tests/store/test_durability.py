"""An acknowledged write is on disk: the commit settings, read back from live connections."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

import app as hourglass_app
from bot.errors import ConfigError
from bot.policy.loader import load_policy
from store.db import Database, NotDurable, commit_durability, ensure_schema
from tests.harness import run_cli


def _synchronous_commit_off(url: str) -> str:
    """The same database, every session started with synchronous_commit=off (as a role or
    database setting would do)."""
    return (
        make_url(url)
        .update_query_dict({"options": "-csynchronous_commit=off"})
        .render_as_string(hide_password=False)
    )


def test_commits_wait_for_the_disk(database):
    setting = commit_durability(database.engine)
    if database.dialect == "sqlite":
        assert setting == "2"  # PRAGMA synchronous: 2 is FULL (NORMAL, 1, may lose commits)
    else:
        assert setting != "off"
        assert setting in {"local", "remote_write", "on", "remote_apply"}


def test_every_pooled_sqlite_connection_is_full(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    ensure_schema(database)
    # Raw DB-API connections: the engine's BEGIN IMMEDIATE would make the three queue.
    connections = [database.engine.raw_connection() for _ in range(3)]
    try:
        read = [c.cursor().execute("PRAGMA synchronous").fetchone()[0] for c in connections]
        assert read == [2, 2, 2]
    finally:
        for connection in connections:
            connection.close()


def test_postgres_with_synchronous_commit_off_is_refused(postgres_url):
    database = Database(_synchronous_commit_off(postgres_url))
    try:
        assert commit_durability(database.engine) == "off"
        with pytest.raises(NotDurable, match="synchronous_commit=off"):
            ensure_schema(database)
    finally:
        database.dispose()
    settings = hourglass_app.Settings.from_env(
        {"DATABASE_URL": _synchronous_commit_off(postgres_url)}
    )
    with pytest.raises(NotDurable):
        hourglass_app.open_database(settings, load_policy(None))
    assert isinstance(hourglass_app.as_refusal(NotDurable("x")), ConfigError)


@pytest.mark.slow
def test_the_cli_refuses_to_start_on_synchronous_commit_off_in_one_line(postgres_url):
    env = {"DATABASE_URL": _synchronous_commit_off(postgres_url)}
    result = run_cli("report", "--customer", "acme", "--month", "2026-11", env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "synchronous_commit=off" in result.stderr
    assert result.stdout == ""
