"""Count the SQL statements the app issues while it serves one request (issue 11 item 2).

An SQLAlchemy `before_cursor_execute` listener on the app's engine, attached only around the
request, so the harness's own setup (factories, fixtures) is never counted; the work after
the ack (`SlackApp.command` waits for it) is. Transaction control (`BEGIN`, `COMMIT`,
`ROLLBACK`) is left out: SQLite's `BEGIN IMMEDIATE` goes through the cursor, Postgres's
`BEGIN` and every commit do not, so counting them would make the two databases disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from tests.harness import AGENT, Reply, SlackApp

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The statements run on `engine` while the block runs (their first line each)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(CONTROL):
            seen.append(statement.strip().splitlines()[0])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for(app: SlackApp, line: str, user: str = AGENT) -> tuple[Reply, list[str]]:
    """Send one signed slash command over HTTP; its reply and every statement it cost."""
    replay = app.database.replay_database().engine  # the gate's record (SQLite: own file)
    with counting(app.database.engine) as seen:
        if replay is app.database.engine:
            reply = app.command(line, user)
        else:
            with counting(replay) as gate:
                reply = app.command(line, user)
            seen[:0] = gate
    return reply, list(seen)


def explain(statements: list[str]) -> str:
    """The statements, one a line, for an assertion's message."""
    return "\n".join(f"  {n}. {s[:140]}" for n, s in enumerate(statements, 1))
