"""A Postgres database for one benchmark run only: created empty (or as a copy of a template
no one is connected to) and dropped after, whatever happens. Shared by bench/ack.py,
bench/sweep.py and bench/chaos.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


@contextmanager
def throwaway_postgres(postgres_url: str, label: str, template: str | None = None) -> Iterator[str]:
    """The URL of a new database named for `label` on `postgres_url`'s server."""
    base = make_url(postgres_url)
    name = f"hourglass_bench_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
