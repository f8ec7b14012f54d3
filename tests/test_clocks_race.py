"""Two `hourglass clock` processes (one on SQLite, where a second is refused) and a cron
`hourglass sweep --at` a clock 150 s ahead, against one database and a Slack that is slow to
answer posts (issue 18 item 1): each alert is posted exactly once, and after a state change
each message's last edit shows its final text. And a clock killed with SIGKILL while Slack
holds its post or its edit (issue 18 item 2): the next clock adopts the message rather than
posting again. On SQLite and Postgres.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.alerts.outbox import raise_alert, update_alert
from bot.clock import SystemClock
from bot.policy.loader import load_policy
from store.models import Alert
from tests.harness import CLI, ROOT, process_env

CHANNEL = "CALERTS"
ALERTS = 60  # as many as the run: 72 posts for 60 alerts before the fencing lease
# Spread over channels: one channel takes a post a second (bot.alerts.pacing), so 60 in one
# would take a minute.
CHANNELS = [f"CALERTS{n:02d}" for n in range(12)]


def all_delivered(database) -> bool:
    with database.session() as db:
        rows = db.scalars(select(Alert)).all()
    return all(row.next_attempt_at is None and row.ts for row in rows)


def wait_until_delivered(database, clocks, deadline: float) -> None:
    while not all_delivered(database):
        for process in clocks:
            assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "alerts not delivered in time"
        time.sleep(0.2)


def start(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, *args],
        cwd=ROOT,
        env=process_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_clocks_and_a_cron_sweep_ahead_post_each_alert_once(database, standin):
    """…and a channel's posts come about a second apart whichever process sent them (the cron
    sweep `--at` 150 s ahead included: the pacing runs on the database's clock)."""
    keys = [f"block_expiring:{n}:7" for n in range(ALERTS)]
    with database.session() as db:
        for n, key in enumerate(keys):
            policy = replace(load_policy(), alert_channel=CHANNELS[n % len(CHANNELS)])
            raise_alert(
                db, policy, key=key, kind="block_expiring", customer=None, text="raised",
                now=SystemClock().now(),
            )  # fmt: skip
    standin.answer_late(0.2)  # accepted at once, answered late
    env = {
        "DATABASE_URL": database.url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_SWEEP_SECONDS": "0.3",
    }
    ahead = (SystemClock().now() + timedelta(seconds=150)).isoformat()
    clocks = [start(env, "clock")]
    if database.dialect != "sqlite":  # on SQLite a second clock is refused (issue 12)
        clocks.append(start(env, "clock"))  # on Postgres it follows, and leads if need be
    running = list(clocks)
    try:
        deadline = time.monotonic() + 60
        while not standin.messages() and time.monotonic() < deadline:
            time.sleep(0.05)
        clocks.append(start(env, "sweep", "--at", ahead))  # while the clocks are posting
        wait_until_delivered(database, running, deadline)
        with database.session() as db:
            for key in keys:
                update_alert(db, key, state="done", text=f"{key} done", now=SystemClock().now())
        clocks.append(start(env, "sweep", "--at", ahead))
        wait_until_delivered(database, running, deadline)
        clocks[-1].wait(timeout=10)
    finally:
        for process in clocks:
            if process.poll() is None:
                process.terminate()
        for process in clocks:
            process.wait(timeout=10)
    messages = standin.messages()
    assert sorted(m.metadata["event_payload"]["key"] for m in messages) == sorted(keys)
    assert len(standin.posted()) == ALERTS
    for message in messages:
        assert message.text == f"{message.metadata['event_payload']['key']} done"
    for channel in CHANNELS:
        times = standin.post_times(channel)
        assert len(times) == ALERTS // len(CHANNELS)
        # A post's own trip (answered 0.2 s late) can shift its arrival a little.
        assert all((b - a).total_seconds() >= 0.8 for a, b in itertools.pairwise(times))


def wait_for(condition, what: str, deadline: float) -> None:
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen in time"
        time.sleep(0.05)


def kill_nine(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL


def lease_runs_out(database) -> None:
    """What two minutes after a killed holder's last word look like: its lease has expired
    (leases run on the database's clock, so no `--at` can hurry them)."""
    with database.session() as db:
        db.execute(update(Alert).values(leased_until=datetime(2000, 1, 1, tzinfo=UTC)))


@pytest.mark.slow
def test_a_clock_killed_mid_post_and_mid_edit_leaves_one_message_per_alert(database, standin):
    """kill -9 of `hourglass clock` while Slack holds its post (the message is in the
    channel, the answer not yet sent), then while it holds an edit: the next clock adopts
    the message it finds by its metadata rather than posting again, and redoes the edit."""
    policy = replace(load_policy(), alert_channel=CHANNEL)
    keys = [f"block_expiring:{n}:7" for n in range(4)]
    with database.session() as db:
        for key in keys:
            raise_alert(
                db, policy, key=key, kind="block_expiring", customer=None, text="raised",
                now=SystemClock().now(),
            )  # fmt: skip
    env = {
        "DATABASE_URL": database.url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_SWEEP_SECONDS": "0.3",
    }
    deadline = time.monotonic() + 60
    standin.answer_late(30)  # far past the moment it is killed
    doomed = start(env, "clock")
    wait_for(lambda: standin.messages(CHANNEL), "the first post", deadline)
    kill_nine(doomed)
    (in_flight,) = standin.messages(CHANNEL)
    with database.session() as db:
        row = db.scalar(select(Alert).where(Alert.ts.is_(None), Alert.lease_token.is_not(None)))
        assert row.post_started_at is not None  # the trace the kill left
    standin.answer_on_time()
    lease_runs_out(database)
    survivor = start(env, "clock")
    try:
        wait_until_delivered(database, [survivor], deadline)
    finally:
        survivor.terminate()
        survivor.wait(timeout=10)
    assert sorted(keys_in(standin)) == sorted(keys)
    assert len(standin.posted(CHANNEL)) == len(keys)  # the killed clock's post was adopted
    assert in_flight.ts in {m.ts for m in standin.messages(CHANNEL)}

    with database.session() as db:
        for key in keys:
            update_alert(db, key, state="done", text=f"{key} done", now=SystemClock().now())
    standin.answer_late(30, ["chat.update"])
    doomed = start(env, "clock")
    wait_for(lambda: standin.updated(CHANNEL), "the first edit", deadline)
    kill_nine(doomed)
    standin.answer_on_time()
    lease_runs_out(database)
    survivor = start(env, "clock")
    try:
        wait_until_delivered(database, [survivor], deadline)
    finally:
        survivor.terminate()
        survivor.wait(timeout=10)
    assert len(standin.posted(CHANNEL)) == len(keys)
    for message in standin.messages(CHANNEL):
        assert message.text == f"{message.metadata['event_payload']['key']} done"
    with database.session() as db:
        rows = db.scalars(select(Alert)).all()
    assert all(r.delivered_version == r.version and r.lease_token is None for r in rows)


def keys_in(standin) -> list[str]:
    return [m.metadata["event_payload"]["key"] for m in standin.messages(CHANNEL)]
