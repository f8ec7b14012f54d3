"""Reads don't take the write lock (issue 11 item 1), on SQLite and Postgres: commands that only
read run in a read-only transaction, which neither waits for an open writer nor may write."""

from __future__ import annotations

import threading

import pytest
from slack_bolt import BoltContext
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from handlers.commands.balance import balance
from handlers.common import READS, CommandCall, Reply, reads, run_command
from store.models import Customer
from store.repositories.core import locked
from tests.concurrency import together
from tests.harness import AGENT

pytestmark = pytest.mark.slow  # threads and signed requests at once


def balance_in_process(slack) -> str:
    """/balance acme through run_command, the path every slash command takes after the edge
    and the gate (the gate's replay record is a write of its own: see docs/performance.md)."""
    acked: list[dict] = []
    run_command(
        ack=lambda **payload: acked.append(payload),
        command={"user_id": AGENT, "text": "acme", "command": "/balance"},
        client=slack.client,
        context=BoltContext({"hourglass": slack.bolt.hourglass}),
        handler=balance,
        role="agent",
        usage=None,
    )
    return str(acked[0]["text"])


def test_four_balances_complete_while_a_writer_holds_the_lock(acme):
    acme.command("/log 1h acme", AGENT)  # something to read; the user's profile is cached
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, bool] = {}

    def writer() -> None:
        # A writer mid-transaction: on SQLite BEGIN IMMEDIATE holds the database's write
        # lock, on Postgres it holds acme's row lock and an uncommitted change to it.
        with acme.database.session() as db:
            db.execute(locked(db, select(Customer).where(Customer.name == "acme")))
            db.execute(update(Customer).where(Customer.name == "acme").values(seats=2))
            holding.set()
            outcome["released"] = release.wait(timeout=60)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        replies = together(*(lambda: balance_in_process(acme) for _ in range(4)))
        # They answered while the writer was still open: it has not been released yet.
        assert thread.is_alive() and not release.is_set()
    finally:
        release.set()
        thread.join(timeout=60)
    assert outcome == {"released": True}
    assert all(isinstance(r, str) and "1h" in r and ":warning:" not in r for r in replies), replies


def test_balances_over_http_beside_a_writer(acme):
    """Over signed HTTP, gate included: its replay record takes no lock a reader needs (on
    SQLite it is a file of its own, `Database.requests`)."""
    acme.command("/log 1h acme", AGENT)
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with acme.database.session() as db:
            db.execute(locked(db, select(Customer).where(Customer.name == "acme")))
            db.execute(update(Customer).where(Customer.name == "acme").values(seats=2))
            holding.set()
            release.wait(timeout=60)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        replies = together(*(lambda: acme.command("/balance acme", AGENT) for _ in range(4)))
        assert thread.is_alive() and not release.is_set()
    finally:
        release.set()
        thread.join(timeout=60)
    assert all("1h" in reply.text for reply in replies), [getattr(r, "text", r) for r in replies]


def test_a_read_only_session_refuses_a_write(database):
    with pytest.raises(DBAPIError), database.session(readonly=True) as db:
        db.execute(update(Customer).values(seats=3))


def test_a_writer_after_a_reader_on_the_same_connection_may_write(database):
    # query_only is reset when the read ends (the pool hands the connection on).
    for _ in range(3):
        with database.session(readonly=True) as db:
            db.execute(text("SELECT 1"))
        with database.session() as db:
            db.execute(update(Customer).values(seats=1))


def test_a_route_marked_reads_that_writes_is_refused_and_changes_nothing(acme):
    @reads
    def sneaky(call: CommandCall) -> Reply:
        call.db.execute(update(Customer).where(Customer.name == "acme").values(seats=9))
        return Reply("wrote")

    assert sneaky in READS
    acme.command("/balance acme", AGENT)  # the user's profile is cached: no "one moment"
    acked: list[dict] = []
    with pytest.raises(DBAPIError):
        run_command(
            ack=lambda **payload: acked.append(payload),
            command={"user_id": AGENT, "text": "", "command": "/sneaky"},
            client=acme.client,
            context=BoltContext({"hourglass": acme.bolt.hourglass}),
            handler=sneaky,
            role="agent",
            usage=None,
        )
    assert acked == []
    with acme.database.session(readonly=True) as db:
        assert db.scalar(select(Customer.seats).where(Customer.name == "acme")) == 1
