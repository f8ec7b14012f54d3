"""A running timer is a row: it survives `kill -9` of the app and a fresh start."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import customers, roles
from bot.policy import load_policy
from slack_standin import signed_headers, slash_command_body
from store.models import CallTimer, PhoneCall
from tests.harness import AGENT, SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"app exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("app did not come up within 30 s")


def command(port: int, line: str, response_url: str) -> str:
    name, _, text = line.partition(" ")
    body = slash_command_body(name, text, user_id=AGENT, response_url=response_url)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers=signed_headers(SIGNING_SECRET, body, int(time.time())),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["text"]


@pytest.mark.slow
def test_running_timer_survives_kill_and_restart(database, standin):
    """On the embedded SQLite file and on a migrated Postgres."""
    url = database.url
    now = datetime.now(UTC)
    with database.session() as db:
        roles.grant(db, AGENT, "agent", "test", now)
        customers.add_customer(
            db,
            load_policy(None),
            name="acme",
            plan="professional",
            channel_id=None,
            seats=1,
            actor="test",
            now=now,
        )
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.base_url,
        "PORT": str(port),
        "HOURGLASS_CLOCK": "off",
    }
    env.pop("SLACK_APP_TOKEN", None)
    first = start_app(env, port)
    try:
        assert "Timer started" in command(port, "/timer start acme jane", standin.response_url())
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    assert first.returncode == -signal.SIGKILL
    with database.session() as db:
        assert db.scalar(select(CallTimer.caller)) == "jane"
    time.sleep(1.1)  # a call is at least one second long
    second = start_app(env, port)
    try:
        assert "Timer running for a call with jane" in command(
            port, "/timer status", standin.response_url()
        )
        reply = command(port, "/timer stop q=3", standin.response_url())
    finally:
        second.terminate()
        second.wait(10)
    assert "call with jane (acme) recorded" in reply
    with database.session() as db:
        (call,) = db.scalars(select(PhoneCall))
        assert (call.caller, call.quality, call.source) == ("jane", 3, "timer")
        assert call.seconds >= 1
        assert db.scalar(select(CallTimer)) is None
