"""Two `hourglass clock` processes and a cron `hourglass sweep --at` a clock 150 s ahead,
against one database and a Slack that is slow to answer posts (issue 18 item 1): each alert
is posted exactly once, and after a state change each message's last edit shows its final
text. On SQLite and Postgres.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.alerts.outbox import raise_alert, update_alert
from bot.clock import SystemClock
from bot.policy.loader import load_policy
from store.models import Alert
from tests.harness import CLI, ROOT, process_env

CHANNEL = "CALERTS"
ALERTS = 60  # as many as the run: 72 posts for 60 alerts before the fencing lease


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
    policy = replace(load_policy(), alert_channel=CHANNEL)
    keys = [f"block_expiring:{n}:7" for n in range(ALERTS)]
    with database.session() as db:
        for key in keys:
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
    clocks = [start(env, "clock"), start(env, "clock")]
    try:
        deadline = time.monotonic() + 60
        while not standin.messages(CHANNEL) and time.monotonic() < deadline:
            time.sleep(0.05)
        clocks.append(start(env, "sweep", "--at", ahead))  # while the clocks are posting
        wait_until_delivered(database, clocks[:2], deadline)
        with database.session() as db:
            for key in keys:
                update_alert(db, key, state="done", text=f"{key} done", now=SystemClock().now())
        clocks.append(start(env, "sweep", "--at", ahead))
        wait_until_delivered(database, clocks[:2], deadline)
        clocks[-1].wait(timeout=10)
    finally:
        for process in clocks:
            if process.poll() is None:
                process.terminate()
        for process in clocks:
            process.wait(timeout=10)
    messages = standin.messages(CHANNEL)
    assert sorted(m.metadata["event_payload"]["key"] for m in messages) == sorted(keys)
    assert len(standin.posted(CHANNEL)) == ALERTS
    for message in messages:
        assert message.text == f"{message.metadata['event_payload']['key']} done"
