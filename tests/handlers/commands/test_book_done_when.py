"""Issue 5's Done-when, tried as a new user would: the real `hourglass` process over HTTP
against a stand-in Slack, on the real clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.harness import AGENT, MANAGER, AppProcess, run_cli

SECRET = "done-when-secret"


@pytest.fixture
def served(tmp_path, standin):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hourglass.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_CLOCK": "off",
    }
    for user, role in ((MANAGER, "manager"), (AGENT, "agent")):
        assert run_cli("role", "add", user, role, env=env).returncode == 0
    with AppProcess(env, signing_secret=SECRET, standin=standin) as app:
        yield env, app


def command(app: AppProcess, line: str, user: str = AGENT) -> str:
    return app.command(line, user).text


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
        result = run_cli(
            "report", "--customer", "acme", "--month", month, "--format", "json", env=env
        )
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        sessions.update({s["id"]: s for s in report["sessions"]})
        billed += report["billed_minutes"]
    assert (sessions["1"]["status"], sessions["1"]["billed_minutes"]) == ("late_cancelled", 30)
    assert (sessions["2"]["status"], sessions["2"]["billed_minutes"]) == ("cancelled", 0)
    assert billed == 30
