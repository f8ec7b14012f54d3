"""store/leader.py against real databases: one holder at a time, the lock freed with its
holder's session (Postgres) or file handle (SQLite), and taken again by the next."""

from __future__ import annotations

from sqlalchemy import text

from store.leader import AdvisoryLock, FileLock, leadership


def test_one_holder_at_a_time_and_the_next_takes_over_after_release(database):
    first, second = leadership(database.url), leadership(database.url)
    try:
        assert first.hold() is True
        assert first.hold() is True  # a leader keeps it, tick after tick
        assert second.hold() is False
        assert second.hold() is False  # a follower tries every tick, and waits
        first.release()
        assert second.hold() is True
        assert first.hold() is False
    finally:
        first.release()
        second.release()


def test_sqlite_lock_names_its_holder(tmp_path):
    path = tmp_path / "hourglass.db.clock-lock"
    first, second = FileLock(path), FileLock(path)
    try:
        assert first.hold() and not second.hold()
        assert second.holder() is not None and second.holder().isdigit()
    finally:
        first.release()
    assert second.hold()
    second.release()


def test_postgres_lock_goes_with_its_session(postgres_url):
    """The server frees a session's advisory lock when the session ends, as it does when a
    clock is killed; the old leader finds out at its next hold() and follows."""
    leader, follower = AdvisoryLock(postgres_url), AdvisoryLock(postgres_url)
    spare = AdvisoryLock(postgres_url)
    try:
        assert leader.hold() and not follower.hold()
        with spare._engine.connect() as admin:
            admin.execute(
                text(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where application_name = 'hourglass clock' and pid <> pg_backend_pid() "
                    "and datname = current_database() and pid in "
                    "(select pid from pg_locks where locktype = 'advisory' and granted)"
                )
            )
        assert follower.hold() is True
        assert leader.hold() is False
        assert leader.reason  # why it lost: its session was ended
    finally:
        for lock in (leader, follower, spare):
            lock.release()
