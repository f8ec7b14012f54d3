"""`hourglass backup` and `hourglass restore`: a consistent copy of the database behind
DATABASE_URL, and putting one back (issue 18 item 7; docs/operations.md says how often).

SQLite: the online backup API (`sqlite3.Connection.backup`) copies every page in one step
inside one read transaction, so the copy is the database as of one commit, taken while the
app keeps writing (WAL readers never block writers). The copy is switched to a rollback
journal (one self-contained file), checked with `PRAGMA integrity_check`, and only then moved
over the target with a rename. A restore checks the backup the same way, refuses one whose
schema is newer than this code, refuses while another process has the file open, and copies
it into the live file with the same API, under SQLite's exclusive lock: one write
transaction, so the file is either all old or all restored, never half.

Postgres: `pg_dump --format=custom` and `pg_restore --single-transaction`, when they are
on PATH; for continuous protection (point-in-time recovery) see docs/operations.md.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from store.db import alembic_config, current_revision, head_revision

SQLITE_HEADER = b"SQLite format 3\x00"
OPERATIONS_DOC = "docs/operations.md"


class BackupRefused(RuntimeError):
    """The backup or restore was not done, and nothing was changed; the message says why in
    one line (the CLI shows it as a refusal)."""


@dataclass(frozen=True)
class BackupFile:
    """A checked backup: where it is, the schema it holds and its size."""

    path: Path
    revision: str
    size: int

    def describe(self) -> str:
        size = f"{self.size / 1e6:.1f} MB" if self.size >= 1e6 else f"{self.size / 1e3:.0f} kB"
        return f"{self.path} (schema {self.revision}, {size})"


def backup(url: str, target: Path | str) -> BackupFile:
    """Copy the database behind `url` to `target` (replaced if it exists) while the app
    runs; the copy is checked before it takes the target's name."""
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupRefused(f"the folder {target.parent} for the backup does not exist")
    partial = target.with_name(f".{target.name}.partial")
    try:
        if make_url(url).get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), target, partial)
        else:
            _pg_dump(make_url(url), partial)
        checked = check_backup(url, partial)
        os.replace(partial, target)
        _sync_folder(target.parent)
    finally:
        partial.unlink(missing_ok=True)
    return BackupFile(target, checked.revision, checked.size)


def check_backup(url: str, source: Path | str) -> BackupFile:
    """The backup at `source`, checked for the database kind behind `url`: readable, whole
    (SQLite: `PRAGMA integrity_check`; Postgres: pg_restore can read its table of contents)
    and made by this version of Hourglass or an earlier one."""
    source = Path(source)
    if not source.is_file():
        raise BackupRefused(f"there is no backup file at {source}")
    if make_url(url).get_backend_name() == "sqlite":
        revision = _sqlite_check(source)
    else:
        revision = _pg_check(source)
    _known_revision(source, revision)
    return BackupFile(source, revision, source.stat().st_size)


def restore(url: str, source: Path | str) -> BackupFile:
    """Replace everything in the database behind `url` with the backup at `source`, in one
    transaction; refused while another process (the app's web or clock) uses the database."""
    checked = check_backup(url, source)
    if make_url(url).get_backend_name() == "sqlite":
        _sqlite_restore(_sqlite_path(url), checked.path)
    else:
        _pg_restore(make_url(url), checked)
    return checked


def behind_head(backup_file: BackupFile) -> bool:
    """The restored schema is older than this code's: it needs `hourglass migrate`
    (the embedded SQLite default does that itself at start)."""
    return backup_file.revision != head_revision()


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if database in (None, "", ":memory:"):
        raise BackupRefused("DATABASE_URL is an in-memory SQLite database: there is no file")
    return Path(str(database))


def _sqlite_backup(path: Path, target: Path, partial: Path) -> None:
    if not path.is_file():
        raise BackupRefused(f"there is no SQLite database at {path} (DATABASE_URL)")
    if target.exists() and target.resolve() == path.resolve():
        raise BackupRefused(f"{target} is the database itself: back it up to another file")
    partial.unlink(missing_ok=True)
    live = sqlite3.connect(path, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        live.backup(copy)  # every page in one step: one snapshot, writers carry on (WAL)
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        copy.commit()
    except sqlite3.Error as exc:
        raise BackupRefused(f"the backup of {path} failed ({exc})") from exc
    finally:
        copy.close()
        live.close()
    _sync_file(partial)


def _sqlite_check(source: Path) -> str:
    with open(source, "rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupRefused(f"{source} is not a SQLite database")
    connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        if problems != ["ok"]:
            raise BackupRefused(f"{source} is damaged (integrity_check: {problems[0]})")
        try:
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BackupRefused(f"{source} is not an Hourglass backup ({exc})") from exc
    finally:
        connection.close()
    if len(rows) != 1:
        raise BackupRefused(f"{source} is not an Hourglass backup (no schema revision)")
    return str(rows[0][0])


def _sqlite_restore(path: Path, source: Path) -> None:
    if source.resolve() == (path.resolve() if path.exists() else path.absolute()):
        raise BackupRefused(f"{source} is the database itself")
    if not path.parent.is_dir():
        raise BackupRefused(f"the folder {path.parent} for the SQLite file does not exist")
    live = _sqlite_alone(path)
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        live.execute("PRAGMA synchronous=FULL")
        backup_file.backup(live)  # one write transaction on the live file: all or nothing
        live.execute("PRAGMA journal_mode=WAL")  # as the app runs it
        problems = [row[0] for row in live.execute("PRAGMA integrity_check")]
    except sqlite3.Error as exc:
        raise BackupRefused(f"the restore into {path} failed, nothing changed ({exc})") from exc
    finally:
        live.close()  # lets go of the exclusive lock
        backup_file.close()
    if problems != ["ok"]:
        raise BackupRefused(f"{path} failed its integrity check after the restore: {problems[0]}")


def _sqlite_alone(path: Path) -> sqlite3.Connection:
    """A connection holding SQLite's exclusive lock on `path` until it is closed, or a
    refusal if another process has the database open: in WAL mode every connection that has
    read the file (the app's pooled ones, the clock's) keeps a shared lock on it, so the
    exclusive one is refused while the web process or the clock runs."""
    live = sqlite3.connect(path, timeout=1, isolation_level=None)
    try:
        live.execute("PRAGMA locking_mode=EXCLUSIVE")
        live.execute("BEGIN EXCLUSIVE")
        live.execute("SELECT count(*) FROM sqlite_master").fetchall()
        live.execute("COMMIT")  # in EXCLUSIVE locking mode the lock stays after the commit
    except sqlite3.OperationalError as exc:
        live.close()
        raise BackupRefused(
            f"{path} is open in another process ({exc}): stop the app (web and clock), then restore"
        ) from exc
    return live


# --- Postgres ------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(
            f"{name} is not on PATH: install the PostgreSQL client tools, or use the "
            f"pg_dump / point-in-time recovery route in {OPERATIONS_DOC}"
        )
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The connection string for the libpq tools, and the environment carrying the password
    (so it never shows in the process list)."""
    plain = url.set(drivername="postgresql", password=None).render_as_string()
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return plain, env


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BackupRefused(f"{what} failed: {lines[-1] if lines else result.returncode}")
    return result.stdout


def _pg_dump(url: URL, partial: Path) -> None:
    dsn, env = _libpq(url)
    command = [_pg_tool("pg_dump"), "--format=custom", "--file", str(partial), "--dbname", dsn]
    _run(command, env, "pg_dump")
    _sync_file(partial)


def _pg_check(source: Path) -> str:
    pg_restore = _pg_tool("pg_restore")
    _run([pg_restore, "--list", str(source)], dict(os.environ), f"reading {source}")
    data = _run(
        [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(source)],
        dict(os.environ),
        f"reading {source}",
    )
    lines = data.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("COPY public.alembic_version")]
    if not starts or starts[0] + 1 >= len(lines) or lines[starts[0] + 1] == "\\.":
        raise BackupRefused(f"{source} is not an Hourglass backup (no schema revision)")
    return lines[starts[0] + 1].strip()


def _pg_restore(url: URL, checked: BackupFile) -> None:
    pg_restore = _pg_tool("pg_restore")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            others = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        current = current_revision(engine)
    finally:
        engine.dispose()
    if others:
        raise BackupRefused(
            f"{others} other connection(s) to {url.database}: stop the app (web and clock) "
            "before restoring"
        )
    if current not in (None, checked.revision):
        raise BackupRefused(
            f"{url.database} is at schema {current}, the backup at {checked.revision}: restore "
            "into an empty database (createdb) and point DATABASE_URL at it"
        )
    dsn, env = _libpq(url)
    flags = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    _run(
        [pg_restore, *flags, "--exit-on-error", "--dbname", dsn, str(checked.path)],
        env,
        "pg_restore",
    )


# --- both ----------------------------------------------------------------------------------


def _known_revision(source: Path, revision: str) -> None:
    try:
        known = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
    except CommandError:
        known = None
    if known is None or known.revision != revision:  # no prefix matches: the id exactly
        raise BackupRefused(
            f"{source} holds schema {revision}, which this version of Hourglass does not "
            "know: it was made by a newer version; restore it with that one"
        )


def _sync_file(path: Path) -> None:
    with open(path, "rb+") as file:
        os.fsync(file.fileno())


def _sync_folder(folder: Path) -> None:
    """The rename itself is on disk (POSIX: fsync the directory)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
