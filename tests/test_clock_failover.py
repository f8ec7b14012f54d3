"""Two `hourglass clock` processes on one Postgres (issue 12 item 2): one leads and sweeps,
the other follows; `kill -9` of the leader hands the work over within two sweep intervals,
and the breach the follower posts reaches Slack within them (breach-to-post latency, as
handlers/local/latency.py computes it). SIGTERM lets a clock finish its tick and let the lead
go (item 4). On SQLite a second clock is refused with one line.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import customers
from bot.alerts.outbox import raise_alert
from bot.clock import SystemClock
from bot.policy.loader import load_policy
from bot.sla import tickets
from handlers.local.latency import breach_latencies
from store.db import Database
from store.models import Alert
from tests.conftest import _truncate
from tests.harness import CLI, ROOT, process_env, run_cli

SWEEP = 2.0  # seconds: the handover must come within two of these
TEAM = "CTEAM"


class Clock:
    """`hourglass clock` with its stderr read line by line, each line's arrival timed."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [*CLI, "clock"],
            cwd=ROOT,
            env=process_env(env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append((time.time(), line.rstrip("\n")))

    def said(self, words: str) -> float | None:
        """When the clock said the line `hourglass clock: <words> (pid N)`, if it has."""
        line = f"hourglass clock: {words} (pid {self.process.pid})"
        return next((at for at, text in self.lines if text == line), None)

    def wait_to_say(self, words: str, deadline: float) -> float:
        while (at := self.said(words)) is None:
            assert self.process.poll() is None, "\n".join(t for _, t in self.lines)
            assert time.monotonic() < deadline, f"never said {words!r}: {self.lines}"
            time.sleep(0.02)
        return at

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        self._reader.join(timeout=5)


@pytest.fixture
def pg_database(postgres_url):
    database = Database(postgres_url)
    _truncate(database)
    yield database
    database.dispose()


def clock_env(database: Database, standin, sweep: float = SWEEP) -> dict[str, str]:
    return {
        "DATABASE_URL": database.url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_SWEEP_SECONDS": str(sweep),
        "LOG_LEVEL": "WARNING",
    }


@pytest.mark.slow
def test_the_follower_takes_over_a_killed_leader_and_posts_the_breach(pg_database, standin):
    policy = load_policy()
    now = SystemClock().now()
    breach_in = timedelta(seconds=8)
    with pg_database.session() as db:
        acme = customers.add_customer(
            db, policy, name="acme", plan="professional", channel_id="CACME", seats=1,
            actor="test", now=now, team_channel=TEAM,
        )  # fmt: skip
    deadline = time.monotonic() + 90
    env = clock_env(pg_database, standin)
    leader = Clock(env)
    follower: Clock | None = None
    try:
        leader.wait_to_say("leading", deadline)
        follower = Clock(env)
        follower.wait_to_say("following", deadline)
        # A ticket whose 1 h first-response target passes `breach_in` from now: its warning
        # is due at once (the leader posts it), its breach after the leader is gone.
        now = SystemClock().now()
        with pg_database.session() as db:
            acme = customers.get_customer(db, "acme")
            ticket, _ = tickets.open_ticket(
                db, policy, customer=acme, priority="immediate", subject="Site down",
                opened_at=now - timedelta(hours=1) + breach_in, actor="U1", now=now,
            )  # fmt: skip
        while not any(alert.ts for alert in _alerts(pg_database)):
            assert time.monotonic() < deadline, "the leader never posted the warning"
            time.sleep(0.05)
        killed_at = time.time()
        leader.process.send_signal(signal.SIGKILL)
        assert leader.process.wait(timeout=10) == -signal.SIGKILL
        took_over = follower.wait_to_say("leading", deadline)
        assert took_over - killed_at <= 2 * SWEEP
        key = f"sla:{ticket.id}"
        while not (latency := breach_latencies(pg_database, standin.calls)).get(key):
            assert time.monotonic() < deadline, "the follower never posted the breach"
            time.sleep(0.05)
        assert 0 <= latency[key] <= 2 * SWEEP
    finally:
        leader.stop()
        if follower is not None:
            follower.stop()
    (message,) = standin.messages(TEAM)  # the warning, edited to the breach: one message
    assert message.metadata["event_payload"]["key"] == key
    assert "SLA breached" in (message.edits[-1] or "")
    assert len(standin.posted(TEAM)) == 1


def _alerts(database: Database) -> list[Alert]:
    with database.session() as db:
        return list(db.scalars(select(Alert)))


@pytest.mark.slow
def test_sigterm_finishes_the_tick_and_hands_over_at_once(pg_database, standin):
    """The leader, stopped mid-post (Slack answers its post late), records the post before it
    exits 0 and lets the lead go; the follower leads at its next tick."""
    policy = replace(load_policy(), alert_channel=TEAM)
    deadline = time.monotonic() + 90
    env = clock_env(pg_database, standin)
    leader = Clock(env)
    follower: Clock | None = None
    try:
        leader.wait_to_say("leading", deadline)
        follower = Clock(env)
        follower.wait_to_say("following", deadline)
        standin.answer_late(1.5)
        with pg_database.session() as db:
            raise_alert(
                db, policy, key="block_expiring:1:7", kind="block_expiring", customer=None,
                text="raised", now=SystemClock().now(),
            )  # fmt: skip
        while not standin.posted(TEAM):
            assert time.monotonic() < deadline, "the leader never posted"
            time.sleep(0.02)
        stopped_at = time.time()
        leader.process.terminate()  # while Slack holds the answer to its post
        assert leader.process.wait(timeout=30) == 0
        with pg_database.session() as db:
            row = db.scalar(select(Alert))
        assert row.ts is not None and row.lease_token is None  # the tick finished its post
        took_over = follower.wait_to_say("leading", deadline)
        assert took_over - stopped_at <= 2 * SWEEP
    finally:
        leader.stop()
        if follower is not None:
            follower.stop()
    assert len(standin.posted(TEAM)) == 1


@pytest.mark.slow
def test_a_second_clock_on_sqlite_is_refused_in_one_line(tmp_path, sqlite_template, standin):
    path = tmp_path / "hourglass.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    env = clock_env(database, standin)
    first = Clock(env)
    try:
        first.wait_to_say("leading", time.monotonic() + 60)
        second = run_cli("clock", env=env, timeout=60)
        assert second.returncode == 1
        assert second.stderr.strip().splitlines() == [
            f"hourglass: another clock is running on {path} (pid {first.process.pid}); on "
            "SQLite only one may: stop it, or set HOURGLASS_CLOCK=off for `hourglass run` "
            "(two clocks need Postgres)"
        ]
    finally:
        first.stop()
    assert first.process.returncode == 0
    assert first.said("leading")
    # once the first has stopped, a clock starts again on the same file
    again = Clock(env)
    try:
        again.wait_to_say("leading", time.monotonic() + 60)
    finally:
        again.stop()
    database.dispose()
