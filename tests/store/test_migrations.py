"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from store.db import current_revision, head_revision
from store.models import Base


def test_models_and_migrations_agree(database):
    assert current_revision(database.engine) == head_revision()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_sqlite_settings(tmp_path):
    from store.db import Database, ensure_schema

    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    ensure_schema(database)  # the embedded default migrates itself
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert current_revision(database.engine) == head_revision()


def test_processes_starting_together_on_sqlite_migrate_once(tmp_path):
    """gunicorn workers and the clock may all self-migrate the embedded default at once."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    code = (
        "import sys; from store.db import Database, ensure_schema; "
        "ensure_schema(Database(sys.argv[1]))"
    )
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    processes = [
        subprocess.Popen([sys.executable, "-c", code, url], cwd=root, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], errors
    from store.db import Database

    assert current_revision(Database(url).engine) == head_revision()
