"""Advisory locks (store/repositories/core.py `lock_key`): stable ids, held to the end of the
transaction on Postgres, nothing to do on SQLite (BEGIN IMMEDIATE serialises writers)."""

from __future__ import annotations

from sqlalchemy import func, select

from store.repositories.core import lock_id, lock_key


def test_a_keys_id_is_the_same_in_every_process_and_differs_between_keys():
    # Pinned: a changed hash would let an old worker and a new one hold "one" lock twice
    # during a rolling deploy.
    assert lock_id("agent-day", "U1", "2026-11-20") == lock_id("agent-day", "U1", "2026-11-20")
    assert lock_id("engineer", "U1") == -9140324537854635627
    ids = {
        lock_id("agent-day", "U1", "2026-11-20"),
        lock_id("agent-day", "U1", "2026-11-21"),
        lock_id("agent-day", "U2", "2026-11-20"),
        lock_id("engineer", "U1"),
        lock_id("engineer", "U1", ""),
    }
    assert len(ids) == 5
    assert all(-(2**63) <= i < 2**63 for i in ids)


def test_a_lock_is_held_until_the_transaction_ends(database):
    if database.dialect != "postgresql":
        with database.session() as db:
            lock_key(db, "agent-day", "U1", "2026-11-20")  # nothing to do, and no error
        return
    key = lock_id("agent-day", "U1", "2026-11-20")
    with database.session() as holder:
        lock_key(holder, "agent-day", "U1", "2026-11-20")
        with database.session() as other:
            assert other.scalar(select(func.pg_try_advisory_xact_lock(key))) is False
            other_key = lock_id("agent-day", "U1", "2026-11-21")
            assert other.scalar(select(func.pg_try_advisory_xact_lock(other_key))) is True
    with database.session() as other:  # the holder committed: free again
        assert other.scalar(select(func.pg_try_advisory_xact_lock(key))) is True
