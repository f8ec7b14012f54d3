"""`hourglass run` on SIGTERM (issue 12 item 4): it stops taking connections, lets a request
in flight finish and answers it, then finishes the work handed on after an ack, and exits 0.
And `/healthz` asks the database (`select 1`): 503 with one line while Postgres refuses
connections, 200 again once it is back. Real HTTP (and, for Socket Mode, a real WebSocket
to the local stand-in), on SQLite and Postgres."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.policy.loader import load_policy
from handlers.common import WORKING
from handlers.local.socket_mode import SocketModeStandIn
from handlers.local.standin import signed_headers, slash_command_body
from store.db import Database
from store.models import TimeEntry
from tests import factories
from tests.harness import AGENT, SIGNING_SECRET, AppProcess, free_port
from tests.test_gunicorn_conf import gunicorn


def app_env(database, standin, clock: str = "on") -> dict[str, str]:
    return {
        "DATABASE_URL": database.url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_CLOCK": clock,
    }


def seed(database) -> None:
    now = datetime.now(UTC)
    with database.session() as db:
        factories.role(db, AGENT, "agent", now=now)
        factories.customer(db, load_policy(None), "acme", now=now)


def entries(database) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(TimeEntry))


@pytest.mark.slow
def test_sigterm_answers_the_request_in_flight_and_finishes_after_ack_work(database, standin):
    seed(database)
    app = AppProcess(app_env(database, standin), standin=standin).start()
    try:
        # A command whose body is still arriving when SIGTERM comes.
        url = standin.response_url("run")
        body = slash_command_body(
            "/log", "30m acme during shutdown", user_id=AGENT, response_url=url
        )
        assert app.process is not None
        process = app.process
        status, answer = send_in_two_halves(
            app.port, body, lambda: process.send_signal(signal.SIGTERM)
        )
        assert b" 200 " in status + b" "
        # AGENT is new to Hourglass: "One moment", then users.info and the answer after the
        # ack, which must still be sent before the process exits.
        assert answer["text"] == WORKING
        assert app.process.wait(timeout=60) == 0
    finally:
        if app.process is not None and app.process.poll() is None:
            app.process.kill()
    assert entries(database) == 1
    assert "30m" in json.dumps(standin.responses_to["run"])


def send_in_two_halves(port: int, body: str, between) -> tuple[bytes, dict]:
    """A signed slash command whose second half is sent after `between()` has run; the
    status line and the JSON answer."""
    headers = signed_headers(SIGNING_SECRET, body, int(time.time()))
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    half = len(body) // 2
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(request + body[:half].encode())
        time.sleep(0.5)  # the server has accepted it and is reading the body
        between()
        time.sleep(0.5)
        conn.sendall(body[half:].encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    status, _, payload = answer.partition(b"\r\n\r\n")
    return status.split(b"\r\n")[0], json.loads(payload)


@pytest.mark.slow
def test_gunicorn_sigterm_answers_the_request_in_flight(database, standin):
    """The Procfile's web process: gunicorn.conf.py's graceful_timeout lets the worker
    finish the command it is reading when the master is told to stop."""
    seed(database)
    port = free_port()
    server = gunicorn(app_env(database, standin, clock="off"), port)
    try:
        deadline = time.monotonic() + 60
        while healthz_or_none(port) != 200:
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "gunicorn did not come up"
            time.sleep(0.2)
        url = standin.response_url("gunicorn")
        body = slash_command_body(
            "/log", "45m acme under gunicorn", user_id=AGENT, response_url=url
        )
        status, answer = send_in_two_halves(port, body, lambda: server.send_signal(signal.SIGTERM))
        assert b" 200 " in status + b" "
        assert answer["text"] == WORKING
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)
    assert entries(database) == 1
    assert "45m" in json.dumps(standin.responses_to["gunicorn"])


@pytest.mark.slow
def test_sigterm_waits_for_a_slow_slack_after_the_ack(database, standin):
    seed(database)
    standin.answer_late(1.5, ["users.info"])
    app = AppProcess(app_env(database, standin, clock="off"), standin=standin).start()
    url = standin.response_url("late")
    body = slash_command_body("/log", "15m acme slow slack", user_id=AGENT, response_url=url)
    reply = app.post(body, signed_headers(SIGNING_SECRET, body, int(time.time())))
    assert reply.text == WORKING
    assert app.stop(signal.SIGTERM) == 0  # waits for users.info, then the command
    assert "15m" in json.dumps(standin.responses_to["late"])
    assert entries(database) == 1


def healthz_or_none(port: int) -> int | None:
    try:
        return healthz(port)[0]
    except OSError:
        return None


def healthz(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


@pytest.mark.slow
def test_healthz_answers_ok_while_the_database_answers(database, standin):
    with AppProcess(app_env(database, standin, clock="off"), standin=standin) as app:
        assert healthz(app.port) == (200, "ok")


@pytest.mark.slow
def test_healthz_is_503_with_its_reason_while_postgres_refuses(postgres_url, standin):
    database = Database(postgres_url)
    name = make_url(postgres_url).database
    admin = create_engine(
        make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    app = AppProcess(app_env(database, standin, clock="off"), standin=standin).start()
    try:
        assert healthz(app.port) == (200, "ok")
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where datname = :name and pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        status, reason = healthz(app.port)
        assert status == 503
        assert reason.startswith("unavailable: DATABASE_URL: cannot reach Postgres at ")
        # the cause as Postgres gave it: a new connection refused, or a pooled one cut
        assert "not currently accepting connections" in reason or "terminating" in reason
        assert len(reason.strip().splitlines()) == 1
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    try:
        assert healthz(app.port) == (200, "ok")
    finally:
        app.stop()
        admin.dispose()
        database.dispose()


@pytest.mark.slow
def test_socket_mode_sigterm_finishes_the_work_after_the_ack_and_exits_0(database, standin):
    """`hourglass run` in Socket Mode (SLACK_APP_TOKEN) against the local Socket Mode
    stand-in: a command acknowledged over the WebSocket just before SIGTERM still gets its
    answer (a slow users.info, then the command), and the process exits 0."""
    seed(database)
    standin.answer_late(1.5, ["users.info"])
    with SocketModeStandIn() as socket_mode:
        standin.socket_mode_url = socket_mode.url
        env = {**app_env(database, standin, clock="off"), "SLACK_APP_TOKEN": "xapp-test"}
        app = AppProcess(env, standin=standin)
        app.launch()
        assert app.process is not None
        try:
            deadline = time.monotonic() + 30
            while not socket_mode.is_connected():
                assert app.process.poll() is None, app.process.stderr.read()[-2000:]
                assert time.monotonic() < deadline, "the app did not connect within 30 s"
                time.sleep(0.1)
            url = standin.response_url("socket")
            body = slash_command_body(
                "/log", "20m acme in socket mode", user_id=AGENT, response_url=url
            )
            ack = socket_mode.send("slash_commands", dict(parse_qsl(body)), timeout=10)
            assert ack is not None and ack.get("text") == WORKING
            app.process.send_signal(signal.SIGTERM)
            assert app.process.wait(timeout=60) == 0, app.process.stderr.read()[-2000:]
        finally:
            if app.process.poll() is None:
                app.process.kill()
    assert entries(database) == 1
    assert "20m" in json.dumps(standin.responses_to["socket"])
