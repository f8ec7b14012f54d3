"""The composition root: settings, the CLI, and Hourglass run as a real process over HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

import app as hourglass_app
from handlers.local.standin import slash_command_body
from tests.harness import CLI, ROOT, SIGNING_SECRET, AppProcess, process_env, run_cli

cli = run_cli


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must be"),
        ({"PORT": "http"}, "PORT must be a port number"),
        ({"PORT": "70000"}, "PORT must be a port number"),
        ({"HOURGLASS_SWEEP_SECONDS": "soon"}, "HOURGLASS_SWEEP_SECONDS must be a number"),
        ({"HOURGLASS_SWEEP_SECONDS": "-1"}, "HOURGLASS_SWEEP_SECONDS must be between"),
        ({"HOURGLASS_CLOCK": "maybe"}, "HOURGLASS_CLOCK must be on or off"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL must be an http(s) URL"),
        ({"SLACK_BOT_TOKEN": "abc"}, "SLACK_BOT_TOKEN must be a bot token"),
        ({"SLACK_APP_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN must be an app-level token"),
    ],
)
def test_malformed_settings_are_named(env, message):
    with pytest.raises(hourglass_app.ConfigError, match=re.escape(message)):
        hourglass_app.Settings.from_env(env)


def test_settings_defaults_and_heroku_style_postgres_urls():
    settings = hourglass_app.Settings.from_env({})
    assert settings.database_url == "sqlite:///hourglass.db"
    assert (settings.port, settings.sweep_seconds, settings.clock_enabled) == (3000, 30.0, True)
    assert settings.api_url == "https://slack.com/api/"
    heroku = hourglass_app.Settings.from_env({"DATABASE_URL": "postgres://u:p@h/db"})
    assert heroku.database_url == "postgresql+psycopg://u:p@h/db"


def test_run_without_a_token_stops_with_one_line(tmp_path):
    result = cli("run", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"})
    assert result.returncode == 2
    assert result.stderr.strip() == "hourglass: SLACK_BOT_TOKEN is not set (see .env.example)"


def test_bad_policy_stops_start_up_naming_the_line(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[provider]\ntimezone = "Mars/Olympus"\n[plans.x]\n')
    result = cli(
        "report",
        "--customer",
        "a",
        "--month",
        "2026-11",
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "HOURGLASS_POLICY": str(policy)},
    )
    assert result.returncode == 2
    assert "line 2: provider.timezone: unknown timezone 'Mars/Olympus'" in result.stderr


def test_a_policy_that_drops_a_plan_in_use_stops_start_up(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    assert cli("customer", "add", "acme", "--plan", "lite", env=env).returncode == 0
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[sla.priorities.normal]\nfirst_response = "8h"\n[sla]\n'
        'default_priority = "normal"\n[plans.gold]\n'
    )
    result = cli("sweep", env={**env, "HOURGLASS_POLICY": str(policy), "SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"hourglass: {policy}: no plan 'lite', but customers are on it (acme); "
        "put the plan back or move them first"
    )


# --- CLI ------------------------------------------------------------------------------------


def test_cli_admin_commands_and_report(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    assert (
        cli("customer", "add", "acme", "--plan", "professional", "--seats", "2", env=env).returncode
        == 0
    )
    added = cli("hours", "add", "acme", "10", "--purchased", "2026-08-30", "--ref", "PO-1", env=env)
    assert added.returncode == 0 and "expires 2026-11-28" in added.stdout
    assert cli("role", "add", "U0MANAGER", "manager", env=env).stdout.strip() == (
        "hourglass: U0MANAGER is now a manager"
    )
    assert "no longer has a role" in cli("role", "remove", "U0MANAGER", env=env).stdout
    report = cli("report", "--customer", "acme", "--month", "2026-11", "--format", "json", env=env)
    assert report.returncode == 0, report.stderr
    statement = json.loads(report.stdout)
    assert list(statement)[:3] == ["customer", "month", "currency"]
    for key in (
        "days",
        "sessions",
        "billed_minutes",
        "overage_minutes",
        "amount",
        "blocks",
        "calls",
        "sla",
    ):
        assert key in statement
    (block,) = statement["blocks"]
    assert block["hours"] == 10 and block["expires"] == "2026-11-28"
    csv_report = cli(
        "report", "--customer", "acme", "--month", "2026-11", "--format", "csv", env=env
    )
    assert csv_report.stdout.startswith("section,date,item")


def test_cli_sets_the_phone_add_on(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    cli("customer", "add", "globex", "--plan", "lite", env=env)
    result = cli("customer", "set", "globex", "--phone", "on", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("hourglass: globex phone support: yes (add-on, set by cli on ")
    result = cli("customer", "set", "globex", "--phone", "plan", env=env)
    assert result.stdout.strip() == "hourglass: globex phone support: no"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("customer", "set", "acme", "--phone", "maybe"), "`phone=` takes on, off or plan"),
        (("customer", "set", "acme"), "the following arguments are required: --phone"),
        (("report", "--customer", "acme", "--month", "11-2026"), "is not a month"),
        (("report", "--customer", "nobody", "--month", "2026-11"), "no customer called `nobody`"),
        (
            ("report", "--customer", "acme", "--month", "2026-11", "--format", "pdf"),
            "invalid choice",
        ),
        (("hours", "add", "acme", "lots"), "is not a number of hours"),
        (("customer", "add", "acme", "--plan", "gold"), "there is no plan `gold`"),
        (("role", "add", "jane", "manager"), "is not a Slack user ID"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_bad_cli_arguments_are_one_line_and_exit_2(tmp_path, args, message):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    cli("customer", "add", "acme", "--plan", "lite", env=env)
    result = cli(*args, env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_demo_walks_through_without_slack():
    result = subprocess.run(
        [*CLI, "demo"], cwd=ROOT, env=process_env({}), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Added customer *acme*" in result.stdout
    assert "Sorry, only managers can do that" in result.stdout
    assert '"customer": "acme"' in result.stdout


def test_console_dispatches_typed_commands(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    lines = "/hourglass customer add acme plan=lite\n/balance acme\n/balance\n:quit\n"
    result = cli("console", "--user", "U0CONSOLE", env=env, input_text=lines)
    assert result.returncode == 0, result.stderr
    assert "Added customer *acme* on the *lite* plan" in result.stdout
    assert "No hour blocks bought." in result.stdout
    assert "Usage: `/balance <customer>`" in result.stdout


def test_unmigrated_postgres_is_refused_then_migrate_fixes_it(empty_postgres_url):
    env = {"DATABASE_URL": empty_postgres_url}
    refused = cli("report", "--customer", "acme", "--month", "2026-11", env=env)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "hourglass: the database is not migrated to this version of Hourglass: run `hourglass migrate`"
    )
    assert cli("migrate", env=env).returncode == 0
    assert cli("customer", "add", "acme", "--plan", "lite", env=env).returncode == 0


# --- the real process over HTTP ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migrate_and_run_over_http_as_a_new_user_would(backend, tmp_path, standin, request):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'hourglass.db'}"
    else:
        url = request.getfixturevalue("empty_postgres_url")
    env = {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_SWEEP_SECONDS": "0.5",
    }
    assert cli("migrate", env=env).returncode == 0
    assert cli("role", "add", "U0MANAGER", "manager", env=env).returncode == 0
    with AppProcess(env) as app:
        line = "/hourglass customer add acme plan=professional channel=<#C1|acme> seats=2"
        reply = app.command(line, "U0MANAGER")
        assert reply.status == 200 and "Added customer *acme*" in reply.text

        reply = app.command(line.replace("acme", "initech"), "U0STRANGE")
        assert reply.status == 200 and reply.text.startswith(":no_entry:")

        body = slash_command_body("/hourglass", line, user_id="U0MANAGER")
        unsigned = app.post(body, {"content-type": "application/x-www-form-urlencoded"})
        assert unsigned.status == 401
        assert standin.calls_to("auth.test"), "the app checked its token against SLACK_API_URL"
    report = cli("report", "--customer", "acme", "--month", "2026-11", env=env)
    statement = json.loads(report.stdout)
    assert statement["customer"] == "acme" and statement["blocks"] == []
    assert (
        "initech"
        not in cli("report", "--customer", "initech", "--month", "2026-11", env=env).stdout
    )


@pytest.mark.slow
def test_socket_mode_connects_through_slack_api_url(tmp_path, standin):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hourglass.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-test-token",
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_CLOCK": "off",
    }
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=process_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not standin.calls_to("apps.connections.open") and time.monotonic() < deadline:
            assert process.poll() is None, "the app exited instead of connecting"
            time.sleep(0.1)
        (call, *_) = standin.calls_to("apps.connections.open")
        assert call.token == "xapp-test-token"
    finally:
        process.kill()
        process.wait(timeout=10)


def _raise_alert_in(url: str, key: str = "block_expiring:1:7") -> None:
    from bot.alerts.outbox import raise_alert
    from store.db import Database, ensure_schema

    database = Database(url)
    ensure_schema(database)
    with database.session() as db:
        raise_alert(
            db,
            key=key,
            kind="block_expiring",
            channel="CALERTS",
            text="7 days left",
            now=hourglass_app.SystemClock().now(),
        )
    database.dispose()


def test_sweep_command_delivers_the_outbox_once(tmp_path, standin):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": standin.base_url,
    }
    _raise_alert_in(env["DATABASE_URL"])
    first = cli("sweep", env=env)
    assert first.returncode == 0, first.stderr
    assert "1 posted" in first.stdout
    assert "0 posted" in cli("sweep", env=env).stdout
    assert [p["text"] for p in standin.posted("CALERTS")] == ["7 days left"]
    assert "not an ISO 8601 instant" in cli("sweep", "--at", "noon", env=env).stderr


@pytest.mark.slow
def test_clock_process_sweeps_on_its_interval(tmp_path, standin):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_SWEEP_SECONDS": "0.2",
    }
    _raise_alert_in(env["DATABASE_URL"])
    process = subprocess.Popen(
        [*CLI, "clock"],
        cwd=ROOT,
        env=process_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not standin.posted("CALERTS") and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read()
            time.sleep(0.1)
        _raise_alert_in(env["DATABASE_URL"], key="block_expiring:2:7")
        while len(standin.posted("CALERTS")) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # several more ticks
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert len(standin.posted("CALERTS")) == 2
