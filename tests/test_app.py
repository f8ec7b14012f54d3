"""The composition root: settings, the CLI, and Hourglass run as a real process over HTTP."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from PIL import Image
from sqlalchemy.engine import make_url

import app as hourglass_app
from handlers.local.standin import slash_command_body
from store.db import Database
from store.models import Customer
from tests.harness import CLI, ROOT, SIGNING_SECRET, AppProcess, free_port, process_env, run_cli


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch, capsys):
    """`hourglass ARGS` in this process (app.main), with a clean environment plus `env`."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def run(*args: str, env: dict[str, str]) -> Ran:
        for setting in hourglass_app.SETTINGS:
            monkeypatch.delenv(setting.name, raising=False)
        for key, value in {"LOG_LEVEL": "WARNING", **env}.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        code = hourglass_app.main(list(args))
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    yield run
    root.handlers[:], root.level = handlers, level


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
        ({"SLACK_TEAM_ID": "acme"}, "SLACK_TEAM_ID must be a Slack workspace ID (T…)"),
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


def test_settings_read_log_level_and_format():
    settings = hourglass_app.Settings.from_env({"LOG_LEVEL": "debug", "LOG_FORMAT": "JSON"})
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    defaults = hourglass_app.Settings.from_env({})
    assert (defaults.log_level, defaults.log_format) == (None, "text")
    with pytest.raises(hourglass_app.ConfigError, match="LOG_FORMAT must be text or json"):
        hourglass_app.Settings.from_env({"LOG_FORMAT": "xml"})


def test_run_without_a_token_stops_with_one_line(tmp_path, cli):
    result = cli("run", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"})
    assert result.returncode == 2
    assert result.stderr.strip() == "hourglass: SLACK_BOT_TOKEN is not set (see .env.example)"


def test_bad_policy_stops_start_up_naming_the_line(tmp_path, cli):
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


def test_a_policy_that_drops_a_plan_in_use_stops_start_up(tmp_path, cli):
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


def test_cli_customer_add_takes_the_team_channel_and_refuses_the_customers_own(tmp_path, cli):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    added = cli(
        "customer", "add", "acme", "--plan", "lite", "--channel", "CACME", "--team-channel",
        "CTEAM", env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    same = cli(
        "customer", "add", "globex", "--plan", "lite", "--channel", "CGLOBEX", "--team-channel",
        "CGLOBEX", env=env,
    )  # fmt: skip
    assert same.returncode != 0 and "must not be the customer's own channel" in same.stderr
    database = Database(env["DATABASE_URL"])
    with database.session() as db:
        assert [(c.name, c.channel_id, c.team_channel) for c in db.query(Customer)] == [
            ("acme", "CACME", "CTEAM")
        ]
    database.dispose()


def test_cli_admin_commands_and_report(tmp_path, cli):
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


def test_cli_report_writes_a_pdf_with_the_json_statements_amounts(tmp_path, cli):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    cli("customer", "add", "acme", "--plan", "professional", env=env)
    cli("hours", "add", "acme", "10", "--purchased", "2026-08-30", env=env)
    args = ("report", "--customer", "acme", "--month", "2026-11")
    statement = json.loads(cli(*args, "--format", "json", env=env).stdout)
    out = tmp_path / "acme-2026-11.pdf"
    written = cli(*args, "--format", "pdf", "--output", str(out), env=env)
    assert written.returncode == 0 and f"statement written to {out}" in written.stderr
    assert written.stdout == ""
    pages = pypdf.PdfReader(out).pages
    text = "\n".join(page.extract_text() for page in pages)
    assert len(pages) == 1 and text.startswith("Hourglass Support\nStatement for acme")
    assert f"Amount due {statement['amount']} GBP" in text
    assert f"Overage amount {statement['overage_amount']} GBP" in text
    assert "#1 2026-08-30 2026-11-28 10h" in text


def test_cli_sets_the_phone_add_on(tmp_path, cli):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    cli("customer", "add", "globex", "--plan", "lite", env=env)
    result = cli("customer", "set", "globex", "--phone", "on", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("hourglass: globex phone support: yes (add-on, set by cli on ")
    result = cli("customer", "set", "globex", "--phone", "plan", env=env)
    assert result.stdout.strip() == "hourglass: globex phone support: no"


# Exit 2 for a usage error (arguments the CLI cannot parse), 1 for a refusal by the domain.
@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("customer", "set", "acme", "--phone", "maybe"), "`phone=` takes on, off or plan", 1),
        (("customer", "set", "acme"), "the following arguments are required: --phone", 2),
        (("report", "--customer", "acme", "--month", "11-2026"), "is not a month", 1),
        (
            ("report", "--customer", "nobody", "--month", "2026-11"),
            "no customer called `nobody`",
            1,
        ),
        (
            ("report", "--customer", "acme", "--month", "2026-11", "--format", "xlsx"),
            "invalid choice",
            2,
        ),
        (("hours", "add", "acme", "lots"), "is not a number of hours", 1),
        (("customer", "add", "acme", "--plan", "gold"), "there is no plan `gold`", 1),
        (("role", "add", "jane", "manager"), "is not a Slack user ID", 2),
        (("frobnicate",), "invalid choice", 2),
    ],
)
def test_bad_cli_arguments_are_one_line_and_exit_2_or_1(tmp_path, args, message, code, cli):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    cli("customer", "add", "acme", "--plan", "lite", env=env)
    result = cli(*args, env=env)
    assert result.returncode == code
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_demo_walks_through_without_slack():
    """The subprocess smoke test: `hourglass` as a new user runs it."""
    result = subprocess.run(
        [*CLI, "demo"], cwd=ROOT, env=process_env({}), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Added customer *acme*" in result.stdout
    assert "Sorry, only managers can do that" in result.stdout
    assert result.stdout.count('"customer": "acme"') == 1  # the statement's JSON, once
    assert "[presses Move anyway]" in result.stdout and '"status": "moved_late"' in result.stdout
    assert "(November's statement unchanged)" in result.stdout  # issue 16
    # issue 19: a role from Slack, a typo'd call undone with its alerts withdrawn, a ticket
    # reopened, the history read back
    assert "<@USTRANGER1> is now an agent" in result.stdout
    assert "*Withdrawn*: call #10 was undone by <@USTRANGER1>" in result.stdout
    assert "*Withdrawn*: *hooli* has 8h of prepaid hours again" in result.stdout
    assert "reopened (the resolution clock runs again)" in result.stdout
    assert "undid call #10 (3h call with jane for hooli" in result.stdout
    assert ": 12h 1-on-1 for hooli on Tue 1 Dec counts again." in result.stdout  # restore
    assert "restored undone time entry #" in result.stdout
    assert "overage, 60.00 GBP at 120.00 GBP/h" in result.stdout
    # a story a person reads (issue 19 item 9): no log lines, statuses in words, one format
    assert result.stderr == "" and " INFO " not in result.stdout
    assert "1h × 1: cancelled late, 30m billed" in result.stdout
    assert "30m × 1: no-show, 30m billed" in result.stdout
    assert "30m × 1: moved late, 30m billed" in result.stdout
    assert "jane: 1h 1m this month (2026-11) of 45m allowance" in result.stdout
    assert not re.search(r"\b1 (alerts|calls|entries|seats|tickets)\b", result.stdout)
    # the back-dated work the story shows is recorded, not refused as before the customer
    assert "cannot be recorded on" not in result.stdout
    assert "Logged 1h 30m 1-on-1 for acme on Thu 19 Nov" in result.stdout
    # issue 13: forecasts on /balance, the SLA budget, the alerts, the digest, App Home
    assert ":crystal_ball: Forecast at 0.94h a week billed (last 8 weeks)" in result.stdout
    assert "the goal can no longer be met this month" in result.stdout
    assert "posted to CACMETEAM: :hourglass_flowing_sand: *acme*: block #2" in result.stdout
    assert result.stdout.count("posted to CMANAGERS: :calendar: *Weekly digest") == 1
    assert "[Chart]" in result.stdout
    statement = result.stdout.split("--format json\n")[1].split("\n\nDemo finished")[0]
    assert json.loads(statement)["sessions"][0]["status"] == "late_cancelled"
    # issue 13: the charts and the PDF are written to files whose paths are printed
    charts = re.findall(r"shared in CACMETEAM: (\S+\.png)", result.stdout)
    assert [Path(p).name for p in charts] == [
        "hourglass-acme-hours-2026-12-07.png",
        "hourglass-acme-sla-2026-12.png",
    ]
    for chart in charts:
        with Image.open(chart) as image:
            assert image.size == (960, 540)
    (pdf,) = re.findall(r"statement written to (\S+\.pdf) \(amount due (\S+) GBP", result.stdout)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(pdf[0]).pages)
    assert f"Amount due {pdf[1]} GBP" in text
    assert f'"amount": "{pdf[1]}"' in statement  # the JSON statement's, to the penny


def test_the_demo_shows_its_log_lines_only_when_verbose():
    result = subprocess.run(
        [*CLI, "demo", "--verbose"],
        cwd=ROOT,
        env=process_env({}),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert " INFO hourglass.requests: command /hourglass" in result.stderr
    assert " INFO " not in result.stdout


def test_the_console_prints_only_its_banner_at_start(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    result = run_cli("console", env=env, input_text=":quit\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no alembic lines, no INFO
    assert result.stdout.startswith("Hourglass console on sqlite:///")
    assert "alembic" not in result.stdout.lower() and " INFO " not in result.stdout


def test_console_dispatches_typed_commands(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    lines = "/hourglass customer add acme plan=lite\n/balance acme\n/balance\n:quit\n"
    result = run_cli("console", "--user", "U0CONSOLE", env=env, input_text=lines)
    assert result.returncode == 0, result.stderr
    assert "Added customer *acme* on the *lite* plan" in result.stdout
    assert "No hour blocks bought." in result.stdout
    assert "Usage: `/balance <customer>`" in result.stdout


def test_unmigrated_postgres_is_refused_then_migrate_fixes_it(empty_postgres_url, cli):
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
def test_migrate_and_run_over_http_as_a_new_user_would(backend, tmp_path, standin, request, cli):
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
    # A new user's first command is acknowledged with "One moment" and answered through
    # response_url once Slack has said who they are: the stand-in collects the answer.
    with AppProcess(env, standin=standin) as app:
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
    from dataclasses import replace

    from bot.alerts.outbox import raise_alert
    from bot.policy.loader import load_policy
    from store.db import Database, ensure_schema

    database = Database(url)
    ensure_schema(database)
    with database.session() as db:
        raise_alert(
            db,
            replace(load_policy(), alert_channel="CALERTS"),  # no customer: the provider's
            key=key,
            kind="block_expiring",
            customer=None,
            text="7 days left",
            now=hourglass_app.SystemClock().now(),
        )
    database.dispose()


def test_sweep_command_delivers_the_outbox_once(tmp_path, standin, cli):
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


# --- start-up mistakes: each is one line naming it, no traceback ------------------------------


def one_line(result: Ran) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_version_prints_the_installed_version(cli):
    result = cli("--version", env={})
    assert result.returncode == 0
    assert re.fullmatch(r"hourglass \S+", result.stdout.strip())


def test_an_sqlite_file_in_a_missing_folder_is_one_line(tmp_path, cli):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'nowhere' / 'h.db'}"}
    for args in (("report", "--customer", "a", "--month", "2026-11"), ("migrate",)):
        result = cli(*args, env=env)
        assert result.returncode == 2
        assert one_line(result) == (
            f"hourglass: DATABASE_URL: the folder {tmp_path / 'nowhere'} for the SQLite file "
            "does not exist; create it or point DATABASE_URL elsewhere"
        )


def test_a_missing_postgres_database_is_one_line(postgres_url, cli):
    url = make_url(postgres_url).set(database="hourglass_no_such_db")
    env = {"DATABASE_URL": url.render_as_string(hide_password=False)}
    result = cli("report", "--customer", "a", "--month", "2026-11", env=env)
    assert result.returncode == 2
    assert one_line(result).startswith(
        "hourglass: DATABASE_URL: there is no database 'hourglass_no_such_db' on the Postgres "
        "server at "
    )
    assert one_line(result).endswith(
        "create it (createdb hourglass_no_such_db), then run `hourglass migrate`"
    )


def test_an_unreachable_postgres_is_one_line(cli):
    port = free_port()
    env = {"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/hourglass"}
    for args in (("report", "--customer", "a", "--month", "2026-11"), ("migrate",)):
        result = cli(*args, env=env)
        assert result.returncode == 2
        assert one_line(result) == (
            f"hourglass: DATABASE_URL: cannot reach Postgres at 127.0.0.1:{port} "
            "(Connection refused)"
        )


@pytest.mark.parametrize("command", ["run", "clock"])
def test_an_unreachable_slack_is_one_line(tmp_path, command, cli):
    api_url = f"http://127.0.0.1:{free_port()}/api/"
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
    }
    result = cli(command, env=env)
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith(f"hourglass: cannot reach Slack at {api_url} (")
    assert line.endswith("); check SLACK_API_URL")


@pytest.mark.parametrize("command", ["run", "clock"])
def test_a_wrong_bot_token_is_one_line(tmp_path, standin, command, cli):
    standin.fail_next("auth.test", "invalid_auth")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
        "SLACK_BOT_TOKEN": "xoxb-wrong",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.base_url,
    }
    result = cli(command, env=env)
    assert result.returncode == 2
    assert one_line(result) == (
        "hourglass: SLACK_BOT_TOKEN was refused by Slack (invalid_auth); copy the Bot User "
        "OAuth Token from your app's OAuth & Permissions page"
    )


def test_a_bad_log_level_is_one_line(tmp_path, cli):
    result = cli(
        "migrate", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "LOG_LEVEL": "LOUD"}
    )
    assert result.returncode == 2
    assert one_line(result) == (
        "hourglass: LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'LOUD'"
    )


def test_an_unexpected_error_is_one_line_with_a_ref_in_the_log(tmp_path, cli, monkeypatch, caplog):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    assert cli("customer", "add", "acme", "--plan", "lite", env=env).returncode == 0

    def broken(*args, **kwargs):
        raise RuntimeError("statement exploded")

    # The CLI's report goes through bot.reports.issued (frozen or live statement).
    monkeypatch.setattr(hourglass_app.issued, "monthly_statement", broken)
    result = cli("report", "--customer", "acme", "--month", "2026-11", env=env)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    match = re.fullmatch(r"hourglass: something went wrong on our side \(ref ([0-9a-f]{6})\)", last)
    assert match, result.stderr
    (record,) = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "statement exploded" in str(record.exc_info[1])


def test_a_policy_edit_that_reaches_a_day_gone_by_stops_start_up(tmp_path, cli):
    """Issue 16: a version already in force cannot be edited; a future one can."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    policy = tmp_path / "policy.toml"
    versions = '\n[[versions]]\neffective_from = "2020-01-01"\nprovider.hourly_rate = "{}"\n'
    future = '\n[[versions]]\neffective_from = "2999-01-01"\nprovider.hourly_rate = "{}"\n'
    text = (ROOT / "bot/policy/bundled/default.toml").read_text() + versions.format("120.00")
    policy.write_text(text)
    env["HOURGLASS_POLICY"] = str(policy)
    assert cli("customer", "add", "acme", "--plan", "lite", env=env).returncode == 0
    policy.write_text(text + future.format("150.00"))
    assert cli("customer", "add", "beta", "--plan", "lite", env=env).returncode == 0
    policy.write_text(text.replace("120.00", "130.00") + future.format("150.00"))
    result = cli("customer", "add", "gamma", "--plan", "lite", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"hourglass: {policy}: provider.hourly_rate changed from 2020-01-01, a day already "
        "past; put the change in a [[versions]] table effective from a day to come, or "
        "re-rate the past with `hourglass policy rerate --from 2020-01-01`"
    )


def test_policy_rerate_shows_then_commits_and_start_up_accepts_the_file(tmp_path, cli, database):
    """Issue 16: `hourglass policy rerate --from DATE` changes nothing without --yes; with it,
    the edited file is recorded and start-up accepts it. Both databases."""
    env = {"DATABASE_URL": database.url, "HOURGLASS_POLICY": str(tmp_path / "policy.toml")}
    policy = tmp_path / "policy.toml"
    text = (ROOT / "bot/policy/bundled/default.toml").read_text()
    version = '\n[[versions]]\neffective_from = "2020-01-01"\nprovider.hourly_rate = "{}"\n'
    policy.write_text(text + version.format("120.00"))
    assert cli("customer", "add", "acme", "--plan", "lite", env=env).returncode == 0
    policy.write_text(text + version.format("130.00"))
    assert cli("customer", "add", "beta", "--plan", "lite", env=env).returncode == 2
    shown = cli("policy", "rerate", "--from", "2020-01-01", env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == (
        "Re-rating from 2020-01-01: no statement's figures change."
    )
    assert "run it again with --yes" in shown.stdout
    assert cli("customer", "add", "beta", "--plan", "lite", env=env).returncode == 2
    bad = cli("policy", "rerate", "--from", "2020-13-01", env=env)
    assert (bad.returncode, bad.stdout) == (1, "")
    assert "is not a date" in bad.stderr
    done = cli("policy", "rerate", "--from", "2020-01-01", "--yes", env=env)
    assert done.returncode == 0 and "start-up now accepts the file" in done.stdout
    assert cli("customer", "add", "beta", "--plan", "lite", env=env).returncode == 0
