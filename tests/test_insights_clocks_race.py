"""Issue 13's alerts and digest with two clocks at once: `forfeit_risk`, `sla_budget` and the
weekly digest are each posted exactly once when two `hourglass sweep --at` processes run the
same instant side by side, twice over, against one database (SQLite and Postgres)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest

from bot.policy.loader import default_policy_text, load_policy
from tests.harness import CLI, MANAGER, ROOT, process_env

DIGEST, TEAM, SUPPORT = "CDIGEST", "CACMETEAM", "CACMESHARED"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 09:00 London: the digest's default time


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(default_policy_text() + f'\n[insights]\ndigest_channel = "{DIGEST}"\n')
    return path


@pytest.fixture
def policy(policy_file):
    return load_policy(policy_file)


def sweep_together(env: dict[str, str], at: datetime) -> None:
    runs = [
        subprocess.Popen(
            [*CLI, "sweep", "--at", at.isoformat()],
            cwd=ROOT,
            env=process_env(env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err


@pytest.mark.slow
def test_two_clocks_post_each_forecast_alert_and_the_digest_once(
    slack, standin, database, policy_file
):
    slack.command(
        f"/hourglass customer add acme plan=professional channel=<#{SUPPORT}|acme> "
        f"team=<#{TEAM}|acme-team>",
        MANAGER,
    )
    slack.command("/hourglass hours add acme 10 purchased 2026-09-01", MANAGER)  # to 30 Nov
    for n in range(10):  # 10 tickets in time: at 90% the month affords 1 miss, 1 left
        slack.command(f"/ticket open acme priority Question {n}", MANAGER)
        slack.command(f"/ticket respond {n + 1}", MANAGER)
    env = {
        "DATABASE_URL": database.url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_POLICY": str(policy_file),
    }
    sweep_together(env, MONDAY)
    sweep_together(env, MONDAY.replace(minute=1))

    def posts(channel: str, words: str) -> list[dict]:
        return [p for p in standin.posted(channel) if words in p["text"]]

    assert len(posts(DIGEST, "Weekly digest, week of 2026-11-23")) == 1
    assert len(posts(TEAM, "projected to forfeit")) == 1
    assert len(posts(TEAM, "1 more miss left before the goal is lost")) == 1
    assert posts(SUPPORT, "projected") == [] and posts(SUPPORT, "goal") == []
