"""Reads asked for more than once in one read-only pass, run once (issue 11).

A month's statement asks for the customer's late moves four times (the ledger's session
charges, the sessions section, the month's training and the adjustments' training) and for
the month's bookings twice, each a round trip to Postgres. Inside `reading_once(db)`, a
repository read wrapped in `read_once` with the same key is served from the first one's
rows (the same objects, from the session's identity map).

It holds only while nothing can have changed them: it is emptied when the session flushes,
commits, rolls back or executes anything but a SELECT, and a read with changes pending in
the session (which would have flushed them first) goes to the database. Outside the block
every read goes to the database.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

T = TypeVar("T")

_MEMO = "hourglass.reading_once"
_FORGET_ON = ("after_flush", "after_commit", "after_rollback", "after_soft_rollback")


@contextmanager
def reading_once(db: Session) -> Iterator[None]:
    """Within the block, each `read_once` read runs once (nested blocks share the outer)."""
    if _MEMO in db.info:
        yield
        return
    memo: dict[Hashable, list[Any]] = {}

    def forget(*_args: Any) -> None:
        memo.clear()

    def on_execute(state: ORMExecuteState) -> None:
        if not state.is_select:
            memo.clear()

    for name in _FORGET_ON:
        event.listen(db, name, forget)
    event.listen(db, "do_orm_execute", on_execute)
    db.info[_MEMO] = memo
    try:
        yield
    finally:
        del db.info[_MEMO]
        event.remove(db, "do_orm_execute", on_execute)
        for name in _FORGET_ON:
            event.remove(db, name, forget)


def read_once(db: Session, key: Hashable, read: Callable[[], list[T]]) -> list[T]:
    """`read()`, or inside `reading_once` the rows an earlier read with this key returned (a
    new list each time: callers may change it)."""
    memo: dict[Hashable, list[Any]] | None = db.info.get(_MEMO)
    if memo is None or db.new or db.dirty or db.deleted:
        return read()
    if key not in memo:
        memo[key] = read()
    return list(memo[key])
