"""One engine per process, a session per unit of work, and the migration entry points."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateIndex, CreateTable

from store.models import SeenRequest

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class NotMigrated(RuntimeError):
    """The database schema is behind the code; `hourglass migrate` fixes it."""


class DatabaseUnavailable(RuntimeError):
    """DATABASE_URL cannot be opened: a missing folder or database, or a server that does
    not answer. The message says which, in one line (the edges show it as a ConfigError)."""


class NotDurable(DatabaseUnavailable):
    """The database would acknowledge commits it may lose in a crash (Postgres with
    `synchronous_commit=off`): Hourglass refuses to start on it rather than tell a user
    "Logged" for a write that may vanish."""


# SQLite's `synchronous` setting. FULL: a commit is on disk (WAL fsynced) before it returns,
# so an acknowledged command survives a power loss or an OS crash; with NORMAL in WAL mode
# SQLite may roll back the last transactions after one. The cost is measured by
# bench/bench_ack_durability.py (docs/performance.md); NORMAL is there only for it.
SQLITE_SYNCHRONOUS = "FULL"
# The execution option that marks a read-only transaction (Database.session(readonly=True)).
READ_ONLY = "hourglass_read_only"


def make_engine(url: str, *, sqlite_synchronous: str = SQLITE_SYNCHRONOUS) -> Engine:
    if url.startswith("sqlite"):
        if sqlite_synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"sqlite_synchronous must be FULL or NORMAL, not {sqlite_synchronous}")
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets the clock read while the web process writes; busy_timeout waits for
            # the writer instead of failing; foreign keys are off by default in SQLite.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            if conn.get_execution_options().get(READ_ONLY):
                # A reader: a deferred transaction takes no lock (in WAL mode it reads its
                # snapshot beside a writer), and query_only makes a write in it an error.
                _pragma(conn, "query_only=ON")
                conn.exec_driver_sql("BEGIN")
                return
            # A writer takes the write lock up front, so two writers serialise instead of
            # deadlocking on a read-then-write upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _sqlite_end(conn: Connection) -> None:
            # The pooled connection goes back to the next (maybe writing) user as it was.
            if conn.get_execution_options().get(READ_ONLY):
                _pragma(conn, "query_only=OFF")

        return engine
    engine = create_engine(url)
    _ping_when_idle(engine)
    return engine


# A pooled connection unused for this long is pinged before it is handed out (see below).
PING_AFTER_IDLE = 1.0  # seconds


def _ping_when_idle(engine: Engine) -> None:
    """`pool_pre_ping`, for connections that were idle: a server restart or a dropped
    connection is found by a ping and the connection replaced, so no request meets a dead
    one. SQLAlchemy's own pre-ping pings at every checkout, a round trip per session, and a
    request opens two (the gate's, the command's): issue 11's ack profile on Postgres. A
    connection handed back less than `PING_AFTER_IDLE` ago was alive then; one that dies
    while in use fails its statement either way, and SQLAlchemy then invalidates the pool,
    so connections idle across a restart (which takes longer than a second) are pinged."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return  # just connected, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure means: use another connection
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc
        if not alive:
            raise DisconnectionError("pooled connection failed its ping")


def _pragma(conn: Connection, setting: str) -> None:
    # On the DBAPI connection, not through SQLAlchemy: a connection setting, not a statement
    # of the unit of work (statement counters do not see it).
    conn.connection.dbapi_connection.execute(f"PRAGMA {setting}")  # type: ignore[union-attr]


def read_only_engine(engine: Engine) -> Engine:
    """The same engine and pool, whose transactions only read: on SQLite a deferred BEGIN
    with `PRAGMA query_only` (make_engine's listeners), on Postgres `BEGIN READ ONLY`
    (psycopg's `read_only`, set by SQLAlchemy's `postgresql_readonly` and reset when the
    connection goes back to the pool). A write in one fails loudly on both."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return engine.execution_options(**options)


class WriterQueue:
    """SQLite writers wait their turn here, in line, instead of in SQLite's busy handler.

    SQLite has one write lock per file. A writer that finds it taken is put to sleep by the
    busy handler for 1, 2, 5, 10 … up to 100 ms at a time, and wakes to find it taken again
    by whoever came along meanwhile: under a steady stream of writers an unlucky one waits
    seconds (issue 11: p99 of `/log` 2.4 s at 16 connections, p50 70 ms). So every write
    session of a file database first takes this queue: a lock per process (threads block on
    it without polling), then an exclusive `flock` on `<file>.write-lock` shared by every
    process on the file (gunicorn's workers, the clock, the CLI), which each process's one
    waiting thread tries every 0.1-1 ms. Both are held until the transaction has committed
    or rolled back, so `BEGIN IMMEDIATE` then finds the write lock free. A wait is bounded
    by SQLite's own busy timeout (`QUEUE_PATIENCE`): past it the writer leaves the queue and
    SQLite decides, as before.

    It only orders writers that use it: anything else on the file (Alembic, the sqlite3
    shell) still meets the busy handler as before, so the rules (one writer, no
    read-then-upgrade) are still SQLite's. Re-entrant in a thread, as nested write sessions
    were possible before (they still wait for SQLite's lock and fail after its timeout)."""

    def __init__(self, path: str) -> None:
        self.path = f"{path}.write-lock"
        self._lock = threading.RLock()
        self._depth = 0
        self._file: Any = None
        self._pid = 0
        self._flocked = False

    @contextmanager
    def turn(self) -> Iterator[None]:
        import fcntl  # lazy: POSIX-only, and only file databases queue

        # Waiting is bounded like SQLite's own busy timeout: past it the writer goes on
        # without its turn and SQLite's busy handler decides, as before (a writer stuck
        # behind one that never ends gets "database is locked", never hangs).
        if not self._lock.acquire(timeout=QUEUE_PATIENCE):
            yield
            return
        try:
            if self._depth == 0:
                if self._pid != os.getpid():  # a forked worker opens its own description
                    self._file = open(self.path, "a")  # noqa: SIM115 - kept for the process
                    self._pid = os.getpid()
                self._flocked = _flock(self._file, fcntl)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._flocked:
                    fcntl.flock(self._file, fcntl.LOCK_UN)
                    self._flocked = False
        finally:
            self._lock.release()


# How long a writer waits in the queue before leaving it to SQLite's busy handler.
QUEUE_PATIENCE = 30.0  # seconds, SQLite's busy timeout (make_engine)


def _flock(file: Any, fcntl: Any) -> bool:
    """The file's exclusive flock, waited for up to QUEUE_PATIENCE; False if not got.

    Only one thread per process waits here (the others wait on the process's lock), so the
    waiting is a short poll: 0.1 ms doubling to 1 ms, never the busy handler's 100 ms."""
    deadline, pause = time.monotonic() + QUEUE_PATIENCE, 0.0001
    while True:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.001)


def writer_queue(engine: Engine) -> WriterQueue | None:
    """The queue for a SQLite file's writers; None for Postgres and in-memory databases."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return WriterQueue(str(engine.url.database))


class Database:
    """The engine and a session factory; `session()` is a transaction that commits on success.

    `session(readonly=True)` is one that only reads: it takes no write lock (so on SQLite
    readers never queue behind each other or behind a writer) and refuses any write. On a
    SQLite file, a writing session first waits its turn in the `WriterQueue`."""

    def __init__(self, url: str, engine: Engine | None = None):
        self.url = url
        self.engine = engine or make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._reads = sessionmaker(read_only_engine(self.engine), expire_on_commit=False)
        self._writers = writer_queue(self.engine)
        self._replay: Database | None = None  # the replay record's own file (SQLite)
        self._replay_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        if readonly or self._writers is None:
            with self._session(readonly=readonly) as session:
                yield session
            return
        with self._writers.turn(), self._session(readonly=False) as session:
            yield session

    @contextmanager
    def _session(self, *, readonly: bool) -> Iterator[Session]:
        session = self._reads() if readonly else self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def requests(self) -> Iterator[Session]:
        """A write session for the replay record (`seen_requests`, handlers/gate.py), which
        every signed request writes once before it is served.

        On a SQLite file it is a small SQLite file of its own beside the database
        (`<file>-requests`, same `synchronous` setting, its own write lock and queue), so
        a read-only command never waits for the database's write lock, held by a writer or
        a sweep (issue 11: "reads don't take the write lock" stopped at the gate). Nothing
        in it is joined with anything else, and it only holds the last fifteen minutes: it
        is not backed up. On Postgres (and an in-memory SQLite) it is the database itself:
        the insert there waits for no reader or writer."""
        with self.replay_database().session() as session:
            yield session

    def replay_database(self) -> Database:
        """Where `requests()` writes: this database, or on a SQLite file its own small file."""
        if self._writers is None:
            return self
        with self._replay_lock:
            if self._replay is None:
                synchronous = {"1": "NORMAL"}.get(commit_durability(self.engine), "FULL")
                url = f"sqlite:///{self.engine.url.database}-requests"
                replay = Database(url, make_engine(url, sqlite_synchronous=synchronous))
                table = SeenRequest.__table__
                assert isinstance(table, Table)
                with replay.engine.begin() as connection:  # processes may race: IF NOT EXISTS
                    connection.execute(CreateTable(table, if_not_exists=True))
                    for index in table.indexes:
                        connection.execute(CreateIndex(index, if_not_exists=True))
                self._replay = replay
            return self._replay

    def dispose(self) -> None:
        self.engine.dispose()
        if self._replay is not None:
            self._replay.dispose()


def alembic_config(url: str) -> Config:
    # alembic (with mako and pygments) is imported only to migrate: a process that finds the
    # schema current never needs it (issue 11 item 5: a tenth of `hourglass report`'s start).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation: escape % in passwords.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    from alembic import command  # only to migrate, as alembic_config

    check_connection(url)
    command.upgrade(alembic_config(url), revision)


_REVISION = re.compile(r"""^revision\s*(?::[^=]*)?=\s*["']([^"']+)["']""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=(.*)$", re.MULTILINE)


def head_revision() -> str:
    """The newest migration's id: the one no other names as its `down_revision`. Read from
    the files' `revision` and `down_revision` lines, so checking the schema imports neither
    alembic nor the migrations (tests/store/test_migrations.py: equal to alembic's head)."""
    revisions: set[str] = set()
    below: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN_REVISION.search(source)
        if down is not None:
            below.update(re.findall(r"""["']([^"']+)["']""", down.group(1)))
    heads = sorted(revisions - below)
    if len(heads) != 1:
        raise RuntimeError(
            f"the migrations in {MIGRATIONS} have {len(heads)} heads ({', '.join(heads)}): "
            "the package is incomplete, or two migrations need a merge"
        )
    return heads[0]


def check_connection(url: str) -> None:
    """Open and close one connection; DatabaseUnavailable, in one line, if that fails."""
    _check_sqlite_folder(url)
    # SQLite: wait for a lock as long as the app's own engine does (make_engine): processes
    # starting together (gunicorn workers, the clock) migrate one at a time, and on a busy
    # machine one migration can outlast sqlite3's default 5 s.
    sqlite = make_url(url).get_backend_name() == "sqlite"
    engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        raise unavailable(url, exc) from exc
    finally:
        engine.dispose()


def _check_sqlite_folder(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    folder = Path(parsed.database).parent
    if not folder.is_dir():
        raise DatabaseUnavailable(
            f"DATABASE_URL: the folder {folder} for the SQLite file does not exist; "
            "create it or point DATABASE_URL elsewhere"
        )


def unavailable(url: str, exc: OperationalError) -> DatabaseUnavailable:
    """Say in one line why the database behind `url` could not be opened."""
    parsed = make_url(url)
    reason = str(exc.orig) if exc.orig is not None else str(exc)
    if parsed.get_backend_name() == "sqlite":
        return DatabaseUnavailable(
            f"DATABASE_URL: cannot open the SQLite file {parsed.database} ({reason})"
        )
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if f'database "{parsed.database}" does not exist' in reason:
        return DatabaseUnavailable(
            f"DATABASE_URL: there is no database {parsed.database!r} on the Postgres server at "
            f"{where}; create it (createdb {parsed.database}), then run `hourglass migrate`"
        )
    # psycopg's message ends with the server's or the socket's own words; keep the last line
    # that says something (e.g. "Connection refused", "password authentication failed ...").
    lines = [line.strip() for line in reason.splitlines() if line.strip()]
    detail = lines[0].rsplit("failed: ", 1)[-1] if lines else "no answer"
    return DatabaseUnavailable(f"DATABASE_URL: cannot reach Postgres at {where} ({detail})")


def current_revision(engine: Engine) -> str | None:
    """The revision the schema is at (alembic's `alembic_version` row); None if it was never
    migrated. Plain SQL, as alembic reads it, without importing alembic."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        versions = list(connection.scalars(text("SELECT version_num FROM alembic_version")))
    if len(versions) > 1:
        raise NotMigrated(f"the database is at {len(versions)} schema revisions at once")
    return versions[0] if versions else None


@contextmanager
def _file_lock(path: str | None) -> Iterator[None]:
    if not path or path == ":memory:":
        yield
        return
    import fcntl  # lazy: POSIX-only; SQLite in-memory databases never need the lock

    with open(f"{path}.migrate-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def commit_durability(engine: Engine) -> str:
    """The setting that decides whether a commit is on disk when it returns, read back from
    a live connection: SQLite's `PRAGMA synchronous` (0 off, 1 normal, 2 full, 3 extra) or
    Postgres's `synchronous_commit` (off, local, remote_write, on, remote_apply)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return str(connection.exec_driver_sql("PRAGMA synchronous").scalar())
        return str(connection.exec_driver_sql("SHOW synchronous_commit").scalar())


def check_durable(database: Database) -> None:
    """Refuse a Postgres that acknowledges commits before they are flushed to its WAL.

    A refusal, not a warning: with `synchronous_commit=off` a crash of the server loses the
    last commits (up to three times `wal_writer_delay`) that Hourglass already answered
    "Logged" for; a warning in a log nobody reads would not stop that, and the fix is one
    statement. Reading it from a live connection catches it however it was set (server,
    database, role, or `options` in DATABASE_URL)."""
    if database.dialect != "postgresql":
        return
    if commit_durability(database.engine) == "off":
        name = database.engine.url.database
        raise NotDurable(
            f"DATABASE_URL: Postgres runs with synchronous_commit=off, so an acknowledged "
            f"write could be lost in a crash; turn it on (ALTER DATABASE {name} SET "
            "synchronous_commit = on, and check the role and postgresql.conf)"
        )


def ensure_schema(database: Database) -> None:
    """SQLite (the embedded default) migrates itself; any other database must be migrated
    by `hourglass migrate` (the Procfile's release step) and is refused if it is behind,
    or if it would acknowledge commits it may lose (check_durable)."""
    _check_sqlite_folder(database.url)
    try:
        current = current_revision(database.engine)
    except OperationalError as exc:
        raise unavailable(database.url, exc) from exc
    check_durable(database)
    if current == head_revision():
        return
    if database.dialect == "sqlite":
        # Several processes (gunicorn workers, the clock) may start at once on the same
        # file: one migrates, the others wait for it and find the schema current.
        with _file_lock(database.engine.url.database):
            if current_revision(database.engine) != head_revision():
                migrate(database.url)
        return
    raise NotMigrated(
        "the database is not migrated to this version of Hourglass: run `hourglass migrate`"
    )
