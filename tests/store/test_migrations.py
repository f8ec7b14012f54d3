"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import pytest
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


def _tables(url: str) -> set[str]:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def blank_url(request, tmp_path):
    """An empty database (no schema) on each backend, for stepping through migrations."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'steps.db'}"
    return request.getfixturevalue("empty_postgres_url")


def test_the_audit_log_comes_with_0021_and_goes_with_its_downgrade(blank_url):
    """Issue 19: one audit log (0021) in place of the two tables the corrections had
    (`corrections`, `admin_changes`); up to head and back down to 0018 on both backends."""
    from alembic import command

    from store.db import alembic_config, migrate

    migrate(blank_url, "0018")
    assert "audit_log" not in _tables(blank_url)
    migrate(blank_url, "0021")
    assert "audit_log" in _tables(blank_url)
    migrate(blank_url)
    tables = _tables(blank_url)
    assert "audit_log" in tables and not {"corrections", "admin_changes"} & tables
    command.downgrade(alembic_config(blank_url), "0021")
    assert "audit_log" in _tables(blank_url)
    command.downgrade(alembic_config(blank_url), "0018")
    assert not {"audit_log", "corrections", "admin_changes"} & _tables(blank_url)
    migrate(blank_url)  # and up again
    assert "audit_log" in _tables(blank_url)


def test_the_schema_check_reads_the_revisions_alembic_reads(blank_url):
    """Issue 11 item 5: `ensure_schema` reads the head from the migration files and the
    database's revision with plain SQL, so a process whose schema is current never imports
    alembic. Both agree with alembic's own reading: blank, part-way and at head."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from store.db import alembic_config, migrate

    script_head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head_revision() == script_head
    engine = create_engine(blank_url)
    try:
        for step in (None, "0021", "head"):
            if step is not None:
                migrate(blank_url, step)
            with engine.connect() as connection:
                expected = MigrationContext.configure(connection).get_current_revision()
            assert current_revision(engine) == expected
            assert expected == {None: None, "0021": "0021", "head": script_head}[step]
    finally:
        engine.dispose()


def test_importing_the_app_and_checking_the_schema_leave_alembic_out(tmp_path):
    """`hourglass report` on a current schema: no alembic, fpdf or matplotlib imported."""
    import subprocess
    import sys

    from store.db import Database, ensure_schema

    url = f"sqlite:///{tmp_path / 'current.db'}"
    ensure_schema(Database(url))
    code = (
        "import sys, app; from store.db import Database, ensure_schema; "
        "ensure_schema(Database(sys.argv[1])); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'mako', 'fpdf', "
        "'matplotlib', 'apscheduler'}))"
    )
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code, url], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
