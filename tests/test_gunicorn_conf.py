"""`gunicorn app:wsgi` itself, as a subprocess from the repository root (so gunicorn reads
gunicorn.conf.py there, as it does in production): a bad policy or setting stops the master
before it listens, exit 2 and the one line the CLI prints; a good one serves, and a
replayed request, or one from another workspace, is refused whichever worker it reaches."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest

from handlers.local.standin import signed_headers, slash_command_body
from tests.harness import (
    AGENT,
    ROOT,
    SIGNING_SECRET,
    free_port,
    post_signed,
    process_env,
    run_cli,
)

BAD_POLICIES = {
    "unparseable": "[sla\n",
    "unknown key": '[provider]\ncolour = "red"\n',
    "bad duration": '[sla.priorities.normal]\nfirst_response = "soon"\n',
}


def gunicorn(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "app:wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(workers), "--threads", "2"],
        cwd=ROOT,
        env=process_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def env(tmp_path, standin) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hourglass.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.base_url,
    }


def refused_at_start(env: dict[str, str]) -> tuple[str, str]:
    """gunicorn's stderr once it has exited (it must, within 20 s), and the CLI's line."""
    process = gunicorn(env, free_port())
    try:
        _, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("gunicorn started with a bad configuration") from None
    assert process.returncode == 2, stderr
    cli = run_cli("run", env=env)
    assert cli.returncode == 2
    (cli_line,) = cli.stderr.strip().splitlines()
    assert "Traceback" not in stderr and "Listening at" not in stderr, stderr
    return stderr.strip().splitlines()[-1], cli_line


@pytest.mark.slow
@pytest.mark.parametrize("policy", BAD_POLICIES.values(), ids=BAD_POLICIES.keys())
def test_a_bad_policy_stops_gunicorn_before_it_listens(policy, tmp_path, env, standin, database):
    path = tmp_path / "policy.toml"
    path.write_text(policy)
    served = {**env, "HOURGLASS_POLICY": str(path), "DATABASE_URL": database.url}
    line, cli_line = refused_at_start(served)
    assert line == cli_line and line.startswith(f"hourglass: {path}")
    assert not standin.calls_to("auth.test")  # refused before anything else was tried


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("SLACK_SIGNING_SECRET", "", "SLACK_SIGNING_SECRET is not set"),
        ("SLACK_TEAM_ID", "T0ELSEWHERE", "SLACK_TEAM_ID is T0ELSEWHERE, but SLACK_BOT_TOKEN"),
    ],
)
def test_a_bad_setting_stops_gunicorn_with_the_clis_line(setting, value, message, env):
    line, cli_line = refused_at_start({**env, setting: value})
    assert line == cli_line and message in line


@pytest.mark.slow
def test_a_good_policy_serves_and_a_replay_or_a_stranger_is_refused_by_any_worker(
    env, standin, database
):
    """On both databases: the seen signatures are shared by gunicorn's workers through the
    database, so a replay is refused whichever worker it reaches."""
    port = free_port()
    policy = str(ROOT / "examples" / "policies" / "000_fair_use.toml")
    served = {**env, "HOURGLASS_POLICY": policy, "DATABASE_URL": database.url}
    process = gunicorn(served, port, workers=2)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as ok:
                    assert ok.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not come up within 20 s"
                time.sleep(0.1)
        assert standin.calls_to("auth.test"), "the master checked the token at start"
        body = slash_command_body("/balance", "", user_id=AGENT)
        headers = signed_headers(SIGNING_SECRET, body, int(time.time()))
        url = f"http://127.0.0.1:{port}/slack/events"
        first = post_signed(url, body, headers)
        assert first.status == 200 and first.text.startswith(":"), first.raw
        assert [post_signed(url, body, headers).status for _ in range(4)] == [401] * 4
        body = slash_command_body("/balance", "", user_id=AGENT, team_id="T0STRANGER")
        stranger = post_signed(url, body, signed_headers(SIGNING_SECRET, body, int(time.time())))
        assert "serves another Slack workspace, not T0STRANGER" in stranger.text, stranger.raw
    finally:
        process.terminate()
        process.wait(timeout=10)
