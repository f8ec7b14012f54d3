"""`hourglass backup` / `restore` (store/backup.py): a backup taken while signed /log commands
keep arriving restores to the statement the database had at that moment, to the penny."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, select

from bot.customers import get_customer
from bot.policy.model import provider_today
from bot.reports.issued import monthly_statement
from store import backup
from store.db import Database, head_revision, migrate
from store.models import Customer, TimeEntry
from tests import factories
from tests.harness import AGENT, MANAGER, AppProcess, run_cli

WRITERS = 3


def _entries(database: Database) -> dict[int, tuple]:
    with database.session() as db:
        rows = db.execute(
            select(
                TimeEntry.id,
                TimeEntry.agent_id,
                TimeEntry.work_date,
                TimeEntry.minutes,
                TimeEntry.kind,
                TimeEntry.note,
                TimeEntry.created_at,
            )
        )
        return {row[0]: tuple(row) for row in rows}


def _statement(database: Database, policy, now: datetime) -> dict:
    with database.session() as db:
        acme = get_customer(db, "acme")
        today = provider_today(policy, now)  # the billing day /log used
        return dict(monthly_statement(db, policy, acme, today.year, today.month, now).statement)


def _as_at_backup(original: Database, restored: Database) -> set[int]:
    """Take out of the original the entries made after the backup: what is left is the
    original as it was at the backup's moment. The ids that were in the backup."""
    in_backup = set(_entries(restored))
    with original.session() as db:
        db.execute(delete(TimeEntry).where(TimeEntry.id.not_in(list(in_backup))))
    return in_backup


def require_pg_tools() -> None:
    """The Postgres round trip needs pg_dump and pg_restore. Where Postgres is required (CI),
    missing tools fail the run instead of skipping the Postgres half of the backup tests."""
    if shutil.which("pg_dump") and shutil.which("pg_restore"):
        return
    if os.environ.get("HOURGLASS_REQUIRE_POSTGRES") == "1":
        pytest.fail("HOURGLASS_REQUIRE_POSTGRES=1 but pg_dump or pg_restore is not on PATH")
    pytest.skip("pg_dump and pg_restore are not on PATH")


def _restore_target(database: Database, request, tmp_path) -> str:
    if database.dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    require_pg_tools()
    return request.getfixturevalue("empty_postgres_url")


class Writers:
    """Agents logging time over signed HTTP until stopped; every reply is kept."""

    def __init__(self, slack, on: str = "on 2026-11-{day}"):
        self.slack, self.replies, self.stop = slack, [], threading.Event()
        self.on = on
        self.threads = [threading.Thread(target=self._log, args=(n,)) for n in range(WRITERS)]

    def _log(self, writer: int) -> None:
        number = 0
        while not self.stop.is_set():
            on = self.on.format(day=12 + writer)
            line = f"/log 7m acme {on} writer {writer} entry {number}"
            self.replies.append(self.slack.command(line, AGENT))
            number += 1

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.replies) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.replies) >= count, "the writers stalled"

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.mark.slow  # a race: writers keep going while the backup runs
def test_a_backup_under_load_restores_to_the_statement_at_its_moment(slack, request, tmp_path):
    database = slack.database
    restored_url = _restore_target(database, request, tmp_path)
    with database.session() as db:
        acme = factories.customer(db, slack.policy, "acme", now=slack.clock.now())
        factories.hour_block(
            db, slack.policy, acme, hours=2, now=slack.clock.now(), purchased=date(2026, 11, 1)
        )
    for day in range(2, 12):  # 200 minutes on a 2-hour block: overage, so money is at stake
        assert "Logged" in slack.command(f"/log 20m acme on 2026-11-{day:02d} before {day}").text
    before = set(_entries(database))

    with Writers(slack) as writers:
        writers.wait_for(WRITERS)
        made = backup.backup(database.url, tmp_path / "hourglass.backup")
        at_backup = len(writers.replies)
        writers.wait_for(at_backup + WRITERS)  # and the writes went on after it
    assert all("Logged" in reply.text for reply in writers.replies), {
        reply.text for reply in writers.replies
    }
    assert made.revision == head_revision()

    assert backup.restore(restored_url, made.path).revision == head_revision()
    restored = Database(restored_url)
    try:
        original_rows, restored_rows = _entries(database), _entries(restored)
        assert before <= set(restored_rows)  # acknowledged before the backup: in it
        assert set(restored_rows) < set(original_rows)  # later writes: not in it
        assert all(original_rows[key] == row for key, row in restored_rows.items())
        _as_at_backup(database, restored)
        expected = _statement(database, slack.policy, slack.clock.now())
        assert expected["overage_minutes"] > 0 and expected["amount"] != "0.00"
        assert _statement(restored, slack.policy, slack.clock.now()) == expected
    finally:
        restored.dispose()


def test_a_restore_replaces_the_sqlite_file_whole_and_waits_for_the_app_to_stop(
    tmp_path, sqlite_template, policy, clock
):
    live_path = tmp_path / "live.db"
    shutil.copy(sqlite_template, live_path)
    live = Database(f"sqlite:///{live_path}")
    with live.session() as db:
        factories.customer(db, policy, "acme", now=clock.now())
    made = backup.backup(live.url, tmp_path / "acme.backup")
    with live.session() as db:
        factories.customer(db, policy, "globex", now=clock.now())
    # The app still holds its pooled connection (idle, between requests): refused.
    with pytest.raises(backup.BackupRefused, match="open in another process.*stop the app"):
        backup.restore(live.url, made.path)
    with live.session() as db:
        assert len(list(db.scalars(select(Customer)))) == 2  # nothing changed
    live.dispose()  # the app stopped
    backup.restore(live.url, made.path)
    restarted = Database(live.url)
    with restarted.session() as db:
        assert [c.name for c in db.scalars(select(Customer))] == ["acme"]
    with restarted.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    restarted.dispose()


def test_damaged_foreign_and_newer_backups_are_refused(tmp_path, sqlite_template):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    shutil.copy(sqlite_template, tmp_path / "live.db")
    made = backup.backup(url, tmp_path / "good.backup")

    newer = tmp_path / "newer.backup"
    shutil.copy(made.path, newer)
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(backup.BackupRefused, match="schema 9999.*newer version"):
        backup.restore(url, newer)

    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    with pytest.raises(backup.BackupRefused, match="not an Hourglass backup"):
        backup.check_backup(url, foreign)

    damaged = tmp_path / "damaged.backup"
    data = bytearray(made.path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096
    damaged.write_bytes(bytes(data))
    with pytest.raises(backup.BackupRefused, match="is damaged"):
        backup.restore(url, damaged)

    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    with pytest.raises(backup.BackupRefused, match="not a SQLite database"):
        backup.check_backup(url, text_file)
    assert backup.check_backup(url, made.path).revision == head_revision()  # untouched


def test_a_backup_never_overwrites_the_database_itself(tmp_path, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "live.db")
    with pytest.raises(backup.BackupRefused, match="is the database itself"):
        backup.backup(f"sqlite:///{tmp_path / 'live.db'}", tmp_path / "live.db")
    with pytest.raises(backup.BackupRefused, match="no SQLite database"):
        backup.backup(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "b.db")
    assert not (tmp_path / "missing.db").exists()  # looking did not create it


def test_a_postgres_restore_is_refused_while_the_app_is_connected(postgres_url, tmp_path):
    require_pg_tools()
    made = backup.backup(postgres_url, tmp_path / "hourglass.backup")
    assert backup.check_backup(postgres_url, made.path).revision == head_revision()
    app = Database(postgres_url)
    try:
        refused = pytest.raises(backup.BackupRefused, match="other connection.*stop the app")
        with app.engine.connect(), refused:  # the web process or the clock, still running
            backup.restore(postgres_url, made.path)
    finally:
        app.dispose()


def test_without_the_postgres_tools_the_refusal_points_to_the_docs(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump, no pg_restore
    url = "postgresql+psycopg://hourglass@db.invalid/hourglass"
    with pytest.raises(backup.BackupRefused, match="pg_dump is not on PATH.*operations.md"):
        backup.backup(url, tmp_path / "hourglass.backup")
    (tmp_path / "hourglass.backup").write_bytes(b"PGDMP")
    with pytest.raises(backup.BackupRefused, match="pg_restore is not on PATH"):
        backup.restore(url, tmp_path / "hourglass.backup")
    assert not (tmp_path / ".hourglass.backup.partial").exists()


# --- the CLI, as a process ---------------------------------------------------------------------


def _lines(result) -> list[str]:
    return result.stderr.splitlines() + result.stdout.splitlines()


@pytest.mark.slow
def test_hourglass_backup_beside_the_running_app_restores_to_the_same_statement(
    tmp_path, standin, policy
):
    """`hourglass run` serving signed /log commands from three threads while `hourglass
    backup` runs as another process; restoring over the served file is refused; the backup
    restored into a new file holds the statement as it was when the backup was taken."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hourglass.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "backup-secret",
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_CLOCK": "off",
    }
    now = datetime.now(UTC)
    migrate(env["DATABASE_URL"])
    original = Database(env["DATABASE_URL"])
    with original.session() as db:
        factories.role(db, AGENT, "agent", now=now)
        factories.role(db, MANAGER, "manager", now=now)
        acme = factories.customer(db, policy, "acme", now=now)
        factories.hour_block(db, policy, acme, hours=1, now=now)
    with AppProcess(env, signing_secret="backup-secret", standin=standin) as app:
        for number in range(8):  # 80 minutes on a 1-hour block: overage
            assert "Logged" in app.command(f"/log 10m acme before {number}").text
        with Writers(app, on="") as writers:
            writers.wait_for(WRITERS)
            made = run_cli("backup", str(tmp_path / "hourglass.backup"), env=env)
            writers.wait_for(len(writers.replies) + WRITERS)
        assert made.returncode == 0, made.stderr
        # Restoring over the database the app is serving is refused, in one line.
        refused = run_cli("restore", str(tmp_path / "hourglass.backup"), "--yes", env=env)
        assert refused.returncode == 1 and "stop the app" in refused.stderr, refused.stderr
        assert len(_lines(refused)) == 1
    assert all("Logged" in reply.text for reply in writers.replies)

    restored_url = f"sqlite:///{tmp_path / 'restored.db'}"  # (the CLI's restore: below)
    backup.restore(restored_url, tmp_path / "hourglass.backup")
    restored = Database(restored_url)
    in_backup = _as_at_backup(original, restored)
    assert len(in_backup) >= 8 + WRITERS  # the early ones and the writers' first ones
    expected = _statement(original, policy, now)
    assert expected["amount"] != "0.00"
    assert _statement(restored, policy, now) == expected
    original.dispose()
    restored.dispose()


@pytest.mark.slow
def test_backup_and_restore_from_the_command_line(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'hourglass.db'}"}
    assert run_cli("customer", "add", "acme", "--plan", "professional", env=env).returncode == 0
    made = run_cli("backup", str(tmp_path / "monday.backup"), env=env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("hourglass: backed up") and "schema" in made.stdout
    assert run_cli("customer", "add", "globex", "--plan", "professional", env=env).returncode == 0

    asked = run_cli("restore", str(tmp_path / "monday.backup"), env=env)
    assert asked.returncode == 1 and len(_lines(asked)) == 1
    assert "is sound" in asked.stderr and "--yes" in asked.stderr

    done = run_cli("restore", str(tmp_path / "monday.backup"), "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hourglass: restored")
    report = run_cli("report", "--customer", "globex", "--month", "2026-11", env=env)
    assert report.returncode == 1 and "globex" in report.stderr  # gone with the restore


@pytest.mark.slow
def test_backup_and_restore_usage_and_refusals_are_one_line(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'hourglass.db'}"}
    usage = run_cli("backup", env=env)
    assert usage.returncode == 2 and len(_lines(usage)) == 1, usage.stderr
    missing = run_cli("restore", str(tmp_path / "nowhere.backup"), "--yes", env=env)
    assert missing.returncode == 1 and len(_lines(missing)) == 1, missing.stderr
    assert "no backup file" in missing.stderr
    no_folder = run_cli("backup", str(tmp_path / "no" / "such" / "x.backup"), env=env)
    assert no_folder.returncode == 1 and "does not exist" in no_folder.stderr
