"""Fixtures: databases built by running the migrations (SQLite and Postgres), the Slack
stand-in, and the app over HTTP.

Postgres tests use TEST_DATABASE_URL; each pytest process gets its own database, so
parallel runs never collide. Without TEST_DATABASE_URL they skip with a reason, unless
HOURGLASS_REQUIRE_POSTGRES=1 (set by .ci/run), where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import bot.features  # noqa: F401 - registers the charge sources, as app.py does
from bot import roles
from bot.clock import FixedClock
from bot.policy.loader import load_policy
from handlers.local.standin import SlackStandIn
from store.db import Database, migrate
from store.models import Base
from tests.harness import AGENT, MANAGER, STRANGER, SlackApp

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "hourglass.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    url = os.environ.get("TEST_DATABASE_URL")
    required = os.environ.get("HOURGLASS_REQUIRE_POSTGRES") == "1"
    if not url:
        if required:
            pytest.fail("HOURGLASS_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip(
            "Postgres tests need TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test)"
        )
    base = make_url(url)
    name = f"hourglass_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        if required:
            pytest.fail(
                f"Postgres at {base.render_as_string(hide_password=True)} unreachable: {exc}"
            )
        pytest.skip(f"Postgres unreachable: {exc}")
    test_url = base.set(database=name).render_as_string(hide_password=False)
    migrate(test_url)
    yield test_url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_postgres_url(postgres_url):
    """A fresh Postgres database with no schema at all (for migrate and refusal tests)."""
    base = make_url(postgres_url)
    name = f"hourglass_empty_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as connection:
        connection.execute(
            text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        )


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path, sqlite_template):
    """A migrated, empty database; every storage test runs on both backends."""
    if request.param == "sqlite":
        path = tmp_path / "hourglass.db"
        shutil.copy(sqlite_template, path)
        db = Database(f"sqlite:///{path}")
    else:
        db = Database(request.getfixturevalue("postgres_url"))
        _truncate(db)
    yield db
    db.dispose()


@pytest.fixture
def policy():
    return load_policy(None)


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def standin():
    with SlackStandIn() as server:
        server.add_user(MANAGER, "maya", "Europe/London")
        server.add_user(AGENT, "alex", "Europe/London")
        server.add_user(STRANGER, "sam", "Europe/London")
        yield server


@pytest.fixture
def slack(database, policy, standin, clock):
    """The app over HTTP with a manager (MANAGER) and an agent (AGENT); STRANGER has no role."""
    with database.session() as db:
        roles.grant(db, MANAGER, "manager", "test", clock.now())
        roles.grant(db, AGENT, "agent", "test", clock.now())
    app = SlackApp(database, policy, standin, clock)
    yield app
    app.close()
