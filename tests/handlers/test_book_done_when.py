"""Issue 5's Done-when, tried as a new user would: the real `hourglass` process over HTTP
against a stand-in Slack, on the real clock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from slack_standin import signed_headers, slash_command_body
from tests.harness import AGENT, MANAGER

ROOT = Path(__file__).resolve().parents[2]
SECRET = "done-when-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hourglass(env: dict, *argv: str) -> subprocess.CompletedProcess:
    code = f"import app, sys; sys.exit(app.main({list(argv)!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def served(tmp_path, standin):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hourglass.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": standin.base_url,
        "PORT": str(port),
        "HOURGLASS_CLOCK": "off",
    }
    for user, role in ((MANAGER, "manager"), (AGENT, "agent")):
        assert hourglass(env, "role", "add", user, role).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("hourglass run did not start: " + process.stderr.read().decode())
    yield env, base + "/slack/events"
    process.terminate()
    process.wait(10)


def command(url: str, line: str, user: str = AGENT) -> str:
    name, _, text = line.partition(" ")
    body = slash_command_body(name, text, user_id=user)
    request = urllib.request.Request(
        url, data=body.encode(), headers=signed_headers(SECRET, body, int(time.time()))
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["text"]


def local(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M")


def test_late_and_free_cancellations_and_an_unknown_id(served):
    env, url = served
    command(url, "/hourglass customer add acme plan=professional channel=<#CACME01|acme>", MANAGER)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    late, free = now + timedelta(hours=23), now + timedelta(hours=49)
    assert "Booked #1" in command(url, f"/book acme {local(late)} 1h")
    assert "Booked #2" in command(url, f"/book acme {local(free)} 1h")
    assert "30m billed" in command(url, "/book cancel #1")
    assert "nothing is billed" in command(url, "/book cancel 2")
    assert command(url, "/book cancel #99").startswith(":warning: There is no booking #99.")
    sessions, billed = {}, 0
    for month in sorted({f"{now:%Y-%m}", f"{free:%Y-%m}"}):
        result = hourglass(
            env, "report", "--customer", "acme", "--month", month, "--format", "json"
        )
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        sessions.update({s["id"]: s for s in report["sessions"]})
        billed += report["billed_minutes"]
    assert (sessions["1"]["status"], sessions["1"]["billed_minutes"]) == ("late_cancelled", 30)
    assert (sessions["2"]["status"], sessions["2"]["billed_minutes"]) == ("cancelled", 0)
    assert billed == 30
