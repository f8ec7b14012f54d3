"""First-time profile and role writes are upserts: a second writer that started before the
first committed waits for it and updates the row, instead of failing on the primary key
(check-then-insert did, on Postgres). On both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from store.models import Role, UserProfile
from store.repositories.core import Roles, UserProfiles

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def write_while_another_is_open(database, write, read):
    """Writer A inserts and holds its transaction open; writer B starts meanwhile; then A
    commits. B must end with its own values in the one row, and no error."""
    errors: list[BaseException] = []
    a_wrote = threading.Event()

    def writer_b() -> None:
        a_wrote.wait(5)
        try:
            with database.session() as db:
                write(db, "b")
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    other = threading.Thread(target=writer_b)
    other.start()
    with database.session() as db:
        write(db, "a")
        a_wrote.set()
        other.join(0.5)  # B is now waiting on A's row (Postgres) or on the write lock (SQLite)
    other.join(10)
    assert errors == []
    with database.session() as db:
        return read(db)


@pytest.mark.parametrize("kind", ["profile", "role"])
def test_two_first_writes_at_once_make_one_row(database, kind):
    if kind == "profile":
        rows = write_while_another_is_open(
            database,
            lambda db, who: UserProfiles.upsert(db, "UNEW", f"Etc/GMT-{len(who)}", who, NOW),
            lambda db: [(p.user_id, p.name) for p in db.query(UserProfile)],
        )
    else:
        rows = write_while_another_is_open(
            database,
            lambda db, who: Roles.set(db, "UNEW", "agent" if who == "a" else "manager", who, NOW),
            lambda db: [(r.user_id, r.role) for r in db.query(Role)],
        )
    assert rows == [("UNEW", "b")] if kind == "profile" else rows == [("UNEW", "manager")]
