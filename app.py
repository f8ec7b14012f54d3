"""Hourglass composition root: configuration, logging, the Bolt app, the clock and the
`hourglass` CLI (with the CLI's one error edge).

`gunicorn app:wsgi` serves the HTTP endpoint; `python app.py` is `hourglass run`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any, NoReturn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from dotenv import load_dotenv
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.orm import Session

from bot import customers, roles
from bot.alerts import sweeps
from bot.alerts.delivery import BATCH, DeliveryReport, deliver_due, take_over
from bot.alerts.pacing import LINGER, Pace
from bot.billing import hours as hour_blocks
from bot.clock import Clock, SystemClock
from bot.customers import plans_missing
from bot.errors import ConfigError, Conflict, InputError
from bot.features import SWEEP_RULES
from bot.parsing import parse_date, parse_month
from bot.policy.loader import load_policy
from bot.policy.model import Policy, provider_today
from bot.reports import issued, rerate
from bot.reports.policy_record import check_recorded
from bot.text import is_digits
from bot.units import plural
from handlers.context import Hourglass
from handlers.edge import as_refusal, install, new_ref
from handlers.gate import forget_seen
from handlers.identity import channel_named
from handlers.local import console
from handlers.local.console import LocalWiring
from handlers.messenger import SlackMessenger
from store.db import Database, ensure_schema, migrate
from store.health import DatabaseCheck
from store.leader import Leadership, leadership

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger("hourglass.app")
sweep_log = logging.getLogger("hourglass.sweeps")

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Commands a person watches: their output is the point, so the log stays at WARNING
# unless LOG_LEVEL says otherwise.
INTERACTIVE = {"console", "demo"}


# --- settings -----------------------------------------------------------------------------


def _database_url(name: str, url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):  # Heroku-style URLs: use the psycopg 3 driver
            url = "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith(("sqlite:///", "sqlite://", "postgresql+psycopg://")):
        raise ConfigError(f"{name} must be sqlite:///path.db or postgresql+psycopg://user@host/db")
    return url


def _text(name: str, text: str) -> str:
    return text


def _prefixed(prefix: str, what: str) -> Callable[[str, str], str]:
    def parse(name: str, text: str) -> str:
        if not text.startswith(prefix):
            raise ConfigError(f"{name} must be {what}")
        return text

    return parse


def _api_url(name: str, url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, not {url!r}")
    return url if url.endswith("/") else url + "/"


def _team_id(name: str, text: str) -> str:
    if not re.fullmatch(r"T[A-Z0-9]{2,}", text):
        raise ConfigError(f"{name} must be a Slack workspace ID (T…), not {text!r}")
    return text


def _port(name: str, text: str) -> int:
    if not is_digits(text) or not 0 < int(text) < 65536:
        raise ConfigError(f"{name} must be a port number, not {text!r}")
    return int(text)


def _seconds(name: str, text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {text!r}") from None
    if not 0 < seconds <= 86400:
        raise ConfigError(f"{name} must be between 0 and 86400")
    return seconds


def _on_off(name: str, text: str) -> bool:
    value = text.lower()
    if value not in {"on", "off", "true", "false", "1", "0"}:
        raise ConfigError(f"{name} must be on or off, not {value!r}")
    return value in {"on", "true", "1"}


def _choice(*choices: str, case: Callable[[str], str]) -> Callable[[str, str], str]:
    listed = ", ".join(choices[:-1]) + f" or {choices[-1]}"

    def parse(name: str, text: str) -> str:
        if case(text) not in choices:
            raise ConfigError(f"{name} must be {listed}, not {text!r}")
        return case(text)

    return parse


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, the Settings field it fills, its default (None:
    unset) and the function that checks and converts it, raising a one-line ConfigError."""

    name: str
    field: str
    default: str | None
    parse: Callable[[str, str], Any]

    def read(self, env: dict[str, str]) -> Any:
        text = env.get(self.name) or self.default
        return None if text is None else self.parse(self.name, text)


# Every setting, in the order the README lists them.
SETTINGS = (
    Setting("DATABASE_URL", "database_url", "sqlite:///hourglass.db", _database_url),
    Setting("HOURGLASS_POLICY", "policy_path", None, _text),
    Setting("SLACK_BOT_TOKEN", "bot_token", None, _prefixed("xox", "a bot token (xoxb-…)")),
    Setting("SLACK_SIGNING_SECRET", "signing_secret", None, _text),
    Setting(
        "SLACK_APP_TOKEN", "app_token", None, _prefixed("xapp-", "an app-level token (xapp-…)")
    ),
    Setting("SLACK_API_URL", "api_url", DEFAULT_API_URL, _api_url),
    Setting("SLACK_TEAM_ID", "team_id", None, _team_id),
    Setting("PORT", "port", "3000", _port),
    Setting("HOURGLASS_SWEEP_SECONDS", "sweep_seconds", "30", _seconds),
    Setting("HOURGLASS_CLOCK", "clock_enabled", "on", _on_off),
    Setting("LOG_LEVEL", "log_level", None, _choice(*LOG_LEVELS, case=str.upper)),
    Setting("LOG_FORMAT", "log_format", "text", _choice("text", "json", case=str.lower)),
)


@dataclass(frozen=True)
class Settings:
    database_url: str
    policy_path: str | None
    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    api_url: str
    team_id: str | None  # None: the workspace the bot token belongs to (auth.test)
    port: int
    sweep_seconds: float
    clock_enabled: bool
    log_level: str | None  # None: INFO, or WARNING for the console and the demo
    log_format: str

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(**{setting.field: setting.read(env) for setting in SETTINGS})

    def require(self, *names: str) -> None:
        fields = {setting.name: setting.field for setting in SETTINGS}
        for name in names:
            if not getattr(self, fields[name]):
                raise ConfigError(f"{name} is not set (see .env.example)")


# --- logging ------------------------------------------------------------------------------

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers: time, level, logger, message, the
    request's fields (kind, target, user, team, outcome, duration_ms, ref) and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class _StderrHandler(logging.StreamHandler[Any]):
    """Writes to whatever sys.stderr is when a record comes (tests swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str, log_format: str) -> None:
    """One handler on the root logger, in the chosen format; calling again replaces it."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root.addHandler(handler)
    root.setLevel(level)


# --- Slack and the database -----------------------------------------------------------------


def slack_client(token: str | None, api_url: str) -> WebClient:
    """Every WebClient honours SLACK_API_URL and retries rate limits and server errors."""
    return WebClient(
        token=token,
        base_url=api_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


# The start-up check's own logger: its failure is reported as one line, not as the SDK's
# error per attempt.
_SLACK_CHECK_LOG = logging.Logger("hourglass.app.slack_check")
_SLACK_CHECK_LOG.addHandler(logging.NullHandler())


def check_slack(token: str | None, api_url: str, team_id: str | None = None) -> str | None:
    """auth.test once at start-up: an unreachable Slack or a refused token is one line, and
    so is a token of another workspace than SLACK_TEAM_ID. The installed workspace."""
    try:
        answer = WebClient(token=token, base_url=api_url, logger=_SLACK_CHECK_LOG).auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else exc
        raise ConfigError(
            f"SLACK_BOT_TOKEN was refused by Slack ({error}); copy the Bot User OAuth Token "
            "from your app's OAuth & Permissions page"
        ) from None
    except OSError as exc:  # urllib's URLError, refused connections, DNS failures
        reason = getattr(exc, "reason", None) or exc
        raise ConfigError(
            f"cannot reach Slack at {api_url} ({reason}); check SLACK_API_URL"
        ) from None
    token_team = answer.get("team_id")
    if team_id and token_team and token_team != team_id:
        raise ConfigError(
            f"SLACK_TEAM_ID is {team_id}, but SLACK_BOT_TOKEN belongs to workspace "
            f"{token_team}; set the ID of the workspace the app is installed in"
        )
    return team_id or (str(token_team) if token_team else None)


def open_database(settings: Settings, policy: Policy, *, check_versions: bool = True) -> Database:
    """The database, migrated (SQLite) or checked (Postgres), and checked against the policy
    (its versions too, except for `hourglass policy rerate`, which is how they change)."""
    database = Database(settings.database_url)
    ensure_schema(database)
    with database.session() as db:
        missing = plans_missing(db, policy)
    if missing:
        plan, names = next(iter(missing.items()))
        raise ConfigError(
            f"{policy.source}: no plan {plan!r}, but customers are on it "
            f"({', '.join(sorted(names)[:5])}); put the plan back or move them first"
        )
    if check_versions:
        with database.session() as db:  # issue 16: a policy edit may not change a day gone by
            check_recorded(db, policy, SystemClock().now())
    return database


def create_app(
    settings: Settings,
    *,
    database: Database,
    policy: Policy,
    clock: Clock | None = None,
    client: WebClient | None = None,
    verify_token: bool = True,
    team_id: str | None = None,
) -> App:
    """The Bolt app with every listener registered, inside the Slack edge. `team_id`: the
    installed workspace as checked at start (default SLACK_TEAM_ID, else Bolt's auth.test)."""
    client = client or slack_client(settings.bot_token, settings.api_url)
    hourglass = Hourglass(
        database=database,
        policy_file=policy,
        clock=clock or SystemClock(),
        team_id=team_id or settings.team_id,
    )
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        # Reply only after the command's transaction has committed.
        process_before_response=True,
        token_verification_enabled=verify_token,
        request_verification_enabled=settings.signing_secret is not None,
    )
    # Imported here, not at the top: only the processes that serve Slack need every
    # listener; `hourglass report` and `sweep` start without them (issue 11 item 5).
    from handlers.listeners import register_listeners

    install(app, hourglass)
    register_listeners(app)
    app.hourglass = hourglass  # type: ignore[attr-defined]
    return app


# --- the clock ----------------------------------------------------------------------------


def _logged(name: str, rule: sweeps.SweepRule, ref: str) -> sweeps.SweepRule:
    """The rule, logging one line when it ends: its name, outcome, alerts, duration, ref."""

    def run(db: Session, policy: Policy, now: datetime) -> int:
        started, outcome, count = time.monotonic(), "error", 0
        try:
            count = rule(db, policy, now)
            outcome = "ok"
            return count
        finally:
            fields = {
                "kind": "sweep",
                "target": name,
                "outcome": outcome,
                "alerts": count,
                "duration_ms": round((time.monotonic() - started) * 1000),
                "ref": ref,
            }
            sweep_log.info(
                "sweep %s outcome=%s alerts=%s duration_ms=%s ref=%s",
                *list(fields.values())[1:],
                extra=fields,
            )

    return run


def tick(
    database: Database,
    policy: Policy,
    client: WebClient,
    now: datetime,
    *,
    pace: Pace | None = None,
    workers: int = 1,
) -> DeliveryReport:
    """One sweep of every alert rule, then one outbox flush within Slack's limits (`pace`:
    the database's clock and real waits unless a test or the demo injects a fixed one); and
    the signatures too old to be replayed are forgotten (handlers/gate.py)."""
    sweep_rules(database, policy, now)
    return flush(database, client, now, pace=pace, workers=workers)


def sweep_rules(database: Database, policy: Policy, now: datetime) -> None:
    """One sweep of every alert rule (the alerts it raises wait in the outbox), and the
    signatures too old to be replayed are forgotten (handlers/gate.py)."""
    ref = new_ref()
    in_force = policy.at(now)  # a version dated from a day to come changes nothing yet
    sweeps.run_sweep(database, in_force, now, [(n, _logged(n, r, ref)) for n, r in SWEEP_RULES])
    forget_seen(database, now)


def flush(
    database: Database,
    client: WebClient,
    now: datetime,
    *,
    pace: Pace | None = None,
    workers: int = 1,
) -> DeliveryReport:
    """One outbox flush within Slack's limits, `workers` calls at a time."""
    return deliver_due(database, SlackMessenger(client), now, pace=pace, workers=workers)


class ClockLead:
    """The clock's policy on leadership (the lock itself is store/leader.py): it sweeps only
    while it leads, and a follower tries the lock again every tick. Each change is one line
    on stderr, whatever the log level, which bench/chaos.py reads:
    `hourglass clock: leading (pid N)` and `hourglass clock: following (pid N)`."""

    def __init__(self, lock: Leadership, database: Database) -> None:
        self.lock = lock
        self.database = database
        self.leading: bool | None = None

    @classmethod
    def take(cls, database: Database) -> ClockLead:
        """At start: leading, or following on Postgres. On SQLite a clock already running
        on the same file refuses this one (a Conflict: one line, exit 1)."""
        lead = cls(leadership(database.url), database)
        if database.dialect == "sqlite" and not lead.lock.hold():
            holder = lead.lock.holder()
            raise Conflict(
                f"another clock is running on {database.engine.url.database}"
                f"{f' (pid {holder})' if holder else ''}; on SQLite only one may: stop it, "
                "or set HOURGLASS_CLOCK=off for `hourglass run` (two clocks need Postgres)"
            )
        lead.check()
        return lead

    def check(self) -> bool:
        """Take or keep the lead; True if this process leads now."""
        leading = self.lock.hold()
        if leading != self.leading:
            if self.leading:
                log.warning("clock lost the lead: %s", getattr(self.lock, "reason", None))
            word = "leading" if leading else "following"
            print(f"hourglass clock: {word} (pid {os.getpid()})", file=sys.stderr, flush=True)
            self.leading = leading
            if leading and (cut := take_over(self.database)):
                log.info("clock: took over %s alert lease(s) from the former leader", cut)
        return leading

    def release(self) -> None:
        self.lock.release()
        self.leading = None


# The clock's outbox sends a batch's alerts at once, each on a thread of its own (a batch
# holds at most one post per channel, so Slack's one post a second per channel still holds):
# in the chaos run one hung call held every channel's alerts behind it for its timeout. As
# many threads as a batch has alerts: a post waiting for a thread would leave after its
# channel's slot (taken when it was leased) began, and could land less than a second before
# the next flush's post there (tests/test_clocks_race.py saw 0.6 s with 8 threads).
OUTBOX_WORKERS = BATCH
# The outbox runs on threads of its own, not after each sweep: a flush waiting on Slack
# (its slots, a hung call) never delays the next sweep, which finds breaches; and a retry
# due between sweeps (FIRST_BACKOFF, 2 s) or an alert a command raised goes within this
# long, not at the next sweep. Each flushes at once when a sweep ends.
FLUSH_SECONDS = 1.0
# Flushes at once: a batch waits for its slowest call (a hang, up to CALL_TIMEOUT), and
# meanwhile another flush leases the next alerts (each alert's lease and each channel's slot
# keep them apart, as between two clocks). The chaos run with one: 605 Web API calls in
# 180 s of faults, nearly every batch held 3 s by one of its hangs.
OUTBOX_FLUSHES = 3


@dataclass
class RunningClock:
    """A started clock: the scheduler that sweeps, and the outbox's threads."""

    scheduler: BaseScheduler
    outboxes: list[_Outbox]


class _Outbox(threading.Thread):
    """Flushes the outbox every FLUSH_SECONDS, or at once when woken (a sweep ended), while
    this process leads; a flush in flight is finished before it stops."""

    def __init__(
        self,
        database: Database,
        client: WebClient,
        clock: Clock,
        every: timedelta,
        lead: ClockLead | None,
    ) -> None:
        super().__init__(name="hourglass-outbox", daemon=True)
        self.database, self.client, self.clock, self.lead = database, client, clock, lead
        # A flush waits for Slack's slots no longer than a sweep interval.
        self.pace = Pace(linger=min(LINGER, every))
        self.stopping = threading.Event()
        self.woken = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.woken.clear()
            try:
                # The lead is checked (and taken) by the sweep job; a stale answer here is
                # harmless: each alert's fencing lease keeps two clocks from doubling a post.
                if self.lead is None or self.lead.leading:
                    flush(
                        self.database,
                        self.client,
                        self.clock.now(),
                        pace=self.pace,
                        workers=OUTBOX_WORKERS,
                    )
            except Exception:  # noqa: BLE001 - a failed flush is logged; the next one runs
                log.exception("clock outbox flush failed")
            self.woken.wait(FLUSH_SECONDS)


def start_clock(
    database: Database,
    policy: Policy,
    client: WebClient,
    clock: Clock,
    seconds: float,
    *,
    block: bool,
    lead: ClockLead | None = None,
) -> RunningClock:
    """Every `seconds`, one sweep; with `lead`, only while this process leads (a follower
    tries the lead again each time). The outbox is flushed on threads of its own
    (`_Outbox`, OUTBOX_FLUSHES of them), woken by each sweep."""
    # Imported here: APScheduler (and the asyncio it pulls in) is for `run` and `clock`
    # only; the one-shot commands start without it (issue 11 item 5).
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = (BlockingScheduler if block else BackgroundScheduler)(timezone="UTC")
    every = timedelta(seconds=seconds)
    outboxes = [_Outbox(database, client, clock, every, lead) for _ in range(OUTBOX_FLUSHES)]

    def job() -> None:
        try:
            if lead is not None and not lead.check():
                return
            sweep_rules(database, policy, clock.now())
        except Exception:  # noqa: BLE001 - a failed tick is logged; the next one runs anyway
            log.exception("clock tick failed")
        for outbox in outboxes:
            outbox.woken.set()  # what the sweep raised goes now

    scheduler.add_job(
        job,
        "interval",
        seconds=seconds,
        id="sweep",
        max_instances=1,
        coalesce=True,
        next_run_time=clock.now(),
    )
    for outbox in outboxes:
        outbox.start()
    scheduler.start()
    return RunningClock(scheduler, outboxes)


def stop_clock(running: RunningClock, lead: ClockLead | None) -> None:
    """SIGTERM's end of a clock: the sweep and the flush in flight finish, then the lead is
    let go, so a follower takes over at its next tick rather than after the server notices."""
    running.scheduler.shutdown(wait=True)
    for outbox in running.outboxes:
        outbox.stopping.set()
        outbox.woken.set()
    for outbox in running.outboxes:
        outbox.join()
    if lead is not None:
        lead.release()


# --- HTTP ---------------------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    # Request threads are joined by server_close(): SIGTERM lets requests in flight finish.
    daemon_threads = False
    block_on_close = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug(format, *args)


def wsgi_app(bolt_app: App) -> WSGIApplication:
    """Slack at /slack/events, a health check at /healthz (the database answers `select 1`
    within 2 s, else 503 and one line why), 404 elsewhere."""
    handler = SlackRequestHandler(bolt_app)
    database_check = DatabaseCheck(bolt_app.hourglass.database)  # type: ignore[attr-defined]

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == EVENTS_PATH:
            return handler(environ, start_response)
        if path == "/healthz":
            return healthz(start_response, database_check.check())
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return application


def healthz(start_response: StartResponse, trouble: str | None) -> Iterable[bytes]:
    if trouble is None:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [f"unavailable: {trouble}\n".encode()]


def serve_http(bolt_app: App, port: int, host: str = "0.0.0.0") -> WSGIServer:  # noqa: S104
    return make_server(host, port, wsgi_app(bolt_app), _ThreadingWSGIServer, _QuietHandler)


def web_parts() -> tuple[Settings, Policy, Database]:
    """What `gunicorn app:wsgi` serves with, checked as `hourglass run` checks it: the
    settings, the policy in force and the checked database. Raises the CLI's errors."""
    load_dotenv()
    settings = Settings.from_env()
    configure_logging(settings.log_level or "INFO", settings.log_format)
    policy, database = _open(settings)
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    return settings, policy, database


def check_web() -> int:
    """gunicorn.conf.py's `on_starting` hook, in gunicorn's master before it listens: 0 if
    the web app can start; else the exit code, after the one line the CLI prints for the
    same mistake (a bad setting or policy, an unusable database, a refused token)."""
    try:
        settings, _policy, database = web_parts()
        database.dispose()  # the master forks the workers: each opens its own
        check_slack(settings.bot_token, settings.api_url, settings.team_id)
    except Exception as exc:  # noqa: BLE001 - the web's start-up edge, as the CLI's
        return cli_failure(exc)
    return 0


def _lazy_wsgi() -> WSGIApplication:
    """`gunicorn app:wsgi`: the app is built on the first request in each worker, from what
    the master checked before it listened (`check_web`, run by gunicorn.conf.py)."""
    state: dict[str, WSGIApplication] = {}
    lock = threading.Lock()

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if "app" not in state:
            with lock:
                if "app" not in state:
                    try:
                        settings, policy, database = web_parts()
                    except Exception as exc:  # noqa: BLE001 - a health check says why, in one line
                        if environ.get("PATH_INFO") != "/healthz":
                            raise
                        return healthz(start_response, str(as_refusal(exc) or "cannot start"))
                    bolt = create_app(settings, database=database, policy=policy)
                    state["app"] = wsgi_app(bolt)
        return state["app"](environ, start_response)

    return application


wsgi = _lazy_wsgi()


# --- CLI ----------------------------------------------------------------------------------


class CliError(InputError):
    """Bad arguments: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(message)


def package_version() -> str:
    try:
        return version("hourglass")
    except PackageNotFoundError:
        return "unknown (not installed; pip install -e .)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hourglass", description="Support clocks for Slack.")
    parser.add_argument("--version", action="version", version=f"hourglass {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("run", help="serve Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)")
    console = sub.add_parser("console", help="local REPL: type slash commands as a Slack user")
    console.add_argument("--user", default="UCONSOLE", help="Slack user ID to act as")
    console.add_argument("--role", choices=["agent", "manager", "none"], default="manager")
    console.add_argument("--tz", default=None, help="the user's timezone (default: policy's)")
    sub.add_parser("clock", help="the scheduler alone: sweeps and the alert outbox")
    sweep = sub.add_parser("sweep", help="one sweep of every rule plus one outbox flush")
    sweep.add_argument("--at", default=None, help="run as of this UTC instant (ISO 8601)")
    report = sub.add_parser("report", help="a customer's monthly statement")
    report.add_argument("--customer", required=True)
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--format", choices=["json", "csv", "text", "pdf"], default="json")
    report.add_argument(
        "--issue", action="store_true", help="freeze the (ended) month's statement as issued"
    )
    report.add_argument(
        "--output", default=None, help="write the statement to this file (else to stdout)"
    )
    customer = sub.add_parser("customer", help="manage customers")
    customer_sub = customer.add_subparsers(dest="action", required=True, parser_class=_Parser)
    customer_add = customer_sub.add_parser("add")
    customer_add.add_argument("name")
    customer_add.add_argument("--plan", required=True)
    customer_add.add_argument(
        "--channel", default=None, help="the customer's support channel ID (C…), shared with them"
    )
    customer_add.add_argument(
        "--team-channel", default=None, help="the team's internal alert channel ID for it (C…)"
    )
    customer_add.add_argument("--seats", type=int, default=1)
    customer_set = customer_sub.add_parser("set")
    customer_set.add_argument("name")
    customer_set.add_argument("--phone", required=True, help="phone add-on: on, off or plan")
    hours = sub.add_parser("hours", help="hour blocks")
    hours_sub = hours.add_subparsers(dest="action", required=True, parser_class=_Parser)
    hours_add = hours_sub.add_parser("add")
    hours_add.add_argument("customer")
    hours_add.add_argument("hours")
    hours_add.add_argument("--purchased", default=None, help="YYYY-MM-DD")
    hours_add.add_argument("--ref", default=None)
    role = sub.add_parser("role", help="grant or take a role")
    role_sub = role.add_subparsers(dest="action", required=True, parser_class=_Parser)
    role_add = role_sub.add_parser("add")
    role_add.add_argument("user")
    role_add.add_argument("role", choices=["agent", "manager"])
    role_remove = role_sub.add_parser("remove")
    role_remove.add_argument("user")
    policy = sub.add_parser("policy", help="policy versions")
    policy_sub = policy.add_subparsers(dest="action", required=True, parser_class=_Parser)
    rerate_cmd = policy_sub.add_parser("rerate", help="re-rate the past")
    rerate_cmd.add_argument("--from", dest="since", required=True, help="YYYY-MM-DD")
    rerate_cmd.add_argument("--yes", action="store_true", help="commit the re-rate")
    sub.add_parser("migrate", help="alembic upgrade head on DATABASE_URL")
    backup_cmd = sub.add_parser("backup", help="a consistent copy of the database, app running")
    backup_cmd.add_argument("file")
    restore_cmd = sub.add_parser("restore", help="replace the database with a backup")
    restore_cmd.add_argument("file")
    restore_cmd.add_argument("--yes", action="store_true", help="replace it (stop the app first)")
    demo_parser = sub.add_parser(
        "demo", help="a scripted walk through every feature, no Slack needed"
    )
    demo_parser.add_argument(
        "--verbose", action="store_true", help="show the log lines (INFO) on stderr as well"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """`hourglass …`: the CLI's one error edge is here (see cli_failure)."""
    load_dotenv()
    try:
        args = build_parser().parse_args(argv)
        settings = Settings.from_env()
        # The console and the demo are read by a person: only warnings, unless asked for
        # the log with `--verbose` (which shows at least INFO, whatever LOG_LEVEL says).
        verbose = getattr(args, "verbose", False)
        level = settings.log_level or ("WARNING" if args.command in INTERACTIVE else "INFO")
        if verbose and logging.getLevelName(level) > logging.INFO:
            level = "INFO"
        configure_logging(level, settings.log_format)
        return COMMANDS[args.command](args, settings)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except Exception as exc:  # noqa: BLE001 - the CLI's one error edge
        return cli_failure(exc)


def cli_failure(error: Exception) -> int:
    """One line on stderr. Exit 2 for a usage error (bad arguments, a bad setting or policy,
    a database that cannot be used), 1 for a refusal; anything else is a bug: one line with
    a ref, and the traceback logged under that ref."""
    refusal = as_refusal(error)
    if refusal is not None:
        print(f"hourglass: {refusal}", file=sys.stderr)
        return 2 if isinstance(refusal, CliError | ConfigError) else 1
    ref = new_ref()
    log.error("unexpected error (ref %s)", ref, exc_info=error, extra={"ref": ref})
    print(f"hourglass: something went wrong on our side (ref {ref})", file=sys.stderr)
    return 1


Command = Callable[[argparse.Namespace, Settings], int]


def _open(settings: Settings) -> tuple[Policy, Database]:
    """The policy version in force now (its history attached) and the checked database."""
    policy = load_policy(settings.policy_path)
    return policy.at(SystemClock().now()), open_database(settings, policy)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: the demo draws a PDF, so it imports fpdf and matplotlib (issue 11 item
    # 5: about half of `hourglass report`'s start, which needs neither unless asked for a PDF).
    from handlers.local import demo

    return demo.main(LOCAL_WIRING)


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    migrate(settings.database_url)
    print(f"hourglass: {settings.database_url.split('@')[-1]} is at the latest schema")
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    """`hourglass backup FILE` (store/backup.py; how often and where: docs/operations.md)."""
    from store import backup  # only these two commands: it imports alembic (issue 11 item 5)

    try:
        made = backup.backup(settings.database_url, args.file)
    except backup.BackupRefused as exc:
        raise Conflict(str(exc)) from None
    print(f"hourglass: backed up {settings.database_url.split('@')[-1]} to {made.describe()}")
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    """`hourglass restore FILE [--yes]`: checks the backup; replaces the database with --yes."""
    from store import backup  # only these two commands: it imports alembic (issue 11 item 5)

    where = settings.database_url.split("@")[-1]
    try:
        if not args.yes:
            checked = backup.check_backup(settings.database_url, args.file)
            raise Conflict(
                f"{checked.describe()} is sound; restoring replaces everything in {where}: "
                "stop the app (web and clock), then run again with --yes"
            )
        restored = backup.restore(settings.database_url, args.file)
    except backup.BackupRefused as exc:
        raise Conflict(str(exc)) from None
    then = "; its schema is older: run `hourglass migrate`" if backup.behind_head(restored) else ""
    print(f"hourglass: restored {where} from {restored.describe()}{then}")
    return 0


def _console(args: argparse.Namespace, settings: Settings) -> int:
    policy = load_policy(settings.policy_path)
    return console.main(LOCAL_WIRING, settings, policy, user=args.user, role=args.role, tz=args.tz)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    policy, database = _open(settings)
    return run(settings, database, policy, SystemClock())


def _clock(args: argparse.Namespace, settings: Settings) -> int:
    policy, database = _open(settings)
    settings.require("SLACK_BOT_TOKEN")
    check_slack(settings.bot_token, settings.api_url, settings.team_id)
    client = slack_client(settings.bot_token, settings.api_url)
    lead = ClockLead.take(database)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("clock: sweeping every %ss", settings.sweep_seconds)
    running = start_clock(
        database, policy, client, SystemClock(), settings.sweep_seconds, block=False, lead=lead
    )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        stop_clock(running, lead)
    log.info("clock: stopped")
    return 0


def _sweep(args: argparse.Namespace, settings: Settings) -> int:
    policy, database = _open(settings)
    settings.require("SLACK_BOT_TOKEN")
    now = SystemClock().now()
    if args.at:
        try:
            now = datetime.fromisoformat(args.at)
        except ValueError:
            raise CliError(f"--at {args.at!r} is not an ISO 8601 instant") from None
        if now.tzinfo is None:
            raise CliError("--at needs a timezone offset, e.g. 2026-11-22T09:00:00+00:00")
    # A batch's posts at once, as the clock sends them: sent one after another, a batch's
    # later posts left seconds after their channels' slots were taken (at the lease), and a
    # clock could post in the same channel a moment later.
    client = slack_client(settings.bot_token, settings.api_url)
    report = tick(database, policy, client, now, workers=OUTBOX_WORKERS)
    print(
        f"hourglass: sweep done; {report.posted} posted, {report.updated} updated, {report.failed} failed"
    )
    return 1 if report.failed else 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    policy, database = _open(settings)
    now = SystemClock().now()
    with database.session() as db:
        year, month = parse_month(args.month)
        customer = customers.get_customer(db, args.customer)
        if args.issue:
            result = issued.issue(db, policy, customer, year, month, actor="cli", now=now)
            print(f"hourglass: {issued.issue_note(customer, result)}", file=sys.stderr)
            month_report = result.report
        else:
            month_report = issued.monthly_statement(db, policy, customer, year, month, now)
    if args.format != "pdf" and args.output is None:
        print(month_report.render(args.format))
        return 0
    # The PDF is drawn from the very statement the JSON renders, so their amounts agree.
    # Imported here, as the demo is: fpdf and matplotlib only for a PDF (issue 11 item 5).
    from bot.reports.pdf import statement_pdf

    content = (
        statement_pdf(month_report.statement, policy.name, policy.timezone)
        if args.format == "pdf"
        else (month_report.render(args.format) + "\n").encode()
    )
    if args.output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return 0
    Path(args.output).write_bytes(content)
    print(f"hourglass: statement written to {args.output}", file=sys.stderr)
    return 0


def _customer(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "set":
        return _customer_set(args, settings)
    policy, database = _open(settings)
    with database.session() as db:
        customer = customers.add_customer(
            db,
            policy,
            name=args.name,
            plan=args.plan,
            channel_id=_cli_channel(settings, "--channel", args.channel),
            team_channel=_cli_channel(settings, "--team-channel", args.team_channel),
            seats=args.seats,
            actor="cli",
            now=SystemClock().now(),
        )
        print(
            f"hourglass: added customer {customer.name} ({customer.plan}, {plural(customer.seats, 'seat')})"
        )
    return 0


def _cli_channel(settings: Settings, option: str, given: str | None) -> str | None:
    """A channel id as given, or `#name` looked up with Slack (SLACK_BOT_TOKEN needed)."""
    if given is None or not given.startswith("#"):
        return given
    if not settings.bot_token:
        raise CliError(
            f"{option} {given}: give the channel's id (C…), or set SLACK_BOT_TOKEN so its "
            "name can be looked up"
        )
    try:
        found = channel_named(slack_client(settings.bot_token, settings.api_url), given)
    except SlackApiError as exc:
        raise CliError(f"{option} {given}: Slack said {exc.response.get('error')}") from None
    if found is None:
        raise CliError(f"{option} {given}: there is no channel of that name Hourglass can see")
    return found


def _customer_set(args: argparse.Namespace, settings: Settings) -> int:
    """`hourglass customer set NAME --phone on|off|plan`: the phone add-on (seed 000)."""
    policy, database = _open(settings)
    with database.session() as db:
        customer = customers.get_customer(db, args.name)
        setting = customers.parse_phone_setting(args.phone)
        now = SystemClock().now()
        customers.set_phone_support(db, policy, customer, setting, actor="cli", now=now)
        described = customers.describe_phone_support(customer, policy)
        print(f"hourglass: {customer.name} phone support: {described}")
    return 0


def _hours(args: argparse.Namespace, settings: Settings) -> int:
    policy, database = _open(settings)
    now = SystemClock().now()
    with database.session() as db:
        customer = customers.customer_for_work(db, args.customer)
        purchased = (
            parse_date(args.purchased, provider_today(policy, now)) if args.purchased else None
        )
        block = hour_blocks.add_hours(
            db,
            policy,
            customer=customer,
            minutes=hour_blocks.parse_hours(args.hours),
            purchased=purchased,
            ref=args.ref,
            actor="cli",
            now=now,
        )
        print(
            f"hourglass: added block #{block.id}: {args.hours}h for {customer.name}, expires {block.expires}"
        )
    return 0


def _role(args: argparse.Namespace, settings: Settings) -> int:
    """`hourglass role add|remove USER`: audited as `/hourglass role` is. The shell may take
    the last manager's role: it is where a manager is always made again."""
    if not re.fullmatch(r"[UW][A-Z0-9]{2,}", args.user):
        raise CliError(f"{args.user!r} is not a Slack user ID (U…)")
    user = args.user
    policy, database = _open(settings)
    now = SystemClock().now()
    with database.session() as db:
        if args.action == "add":
            roles.add_role(db, policy, user, args.role, actor="cli", now=now, keep_a_manager=False)
            article = "an" if args.role == "agent" else "a"
            print(f"hourglass: {user} is now {article} {args.role}")
        else:
            removed = roles.remove_role(
                db, policy, user, actor="cli", now=now, keep_a_manager=False
            )
            print(f"hourglass: {user} {'no longer has a role' if removed else 'had no role'}")
    return 0


def _policy(args: argparse.Namespace, settings: Settings) -> int:
    """`hourglass policy rerate --from DATE [--yes]` (issue 16): before/after, then commit."""
    policy = load_policy(settings.policy_path)
    database = open_database(settings, policy, check_versions=False)
    now = SystemClock().now()
    with database.session() as db:
        since = parse_date(args.since, provider_today(policy, now))
        result = rerate.rerate(db, policy, since, now, commit=args.yes)
        print(result.describe(policy.currency, now))
    return 0


COMMANDS: dict[str, Command] = {
    "demo": _demo,
    "migrate": _migrate,
    "backup": _backup,
    "restore": _restore,
    "console": _console,
    "run": _run,
    "clock": _clock,
    "sweep": _sweep,
    "report": _report,
    "customer": _customer,
    "hours": _hours,
    "role": _role,
    "policy": _policy,
}

LOCAL_WIRING = LocalWiring(
    settings_from_env=Settings.from_env,
    slack_client=slack_client,
    create_app=create_app,
    open_database=open_database,
    tick=tick,
)


def _stop_socket_mode(*_: object) -> NoReturn:
    """SIGTERM in Socket Mode: leave the handler's loop, so `run` stops its clock as in HTTP
    mode (the tick finishes, the lead is let go) and exits 0."""
    raise SystemExit(0)


def run(settings: Settings, database: Database, policy: Policy, clock: Clock) -> int:
    settings.require("SLACK_BOT_TOKEN")
    if not settings.app_token:
        settings.require("SLACK_SIGNING_SECRET")
    team_id = check_slack(settings.bot_token, settings.api_url, settings.team_id)
    bolt = create_app(settings, database=database, policy=policy, clock=clock, team_id=team_id)
    running, lead = None, None
    if settings.clock_enabled:
        lead = ClockLead.take(database)
        running = start_clock(
            database, policy, bolt.client, clock, settings.sweep_seconds, block=False, lead=lead
        )
    try:
        if settings.app_token:
            # Socket Mode's client (websockets) only where it is used (issue 11 item 5).
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("Socket Mode")
            signal.signal(signal.SIGTERM, _stop_socket_mode)
            SocketModeHandler(bolt, settings.app_token).start()
        else:
            server = serve_http(bolt, settings.port)
            signal.signal(
                signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start()
            )
            log.info("HTTP mode on port %s at %s", settings.port, EVENTS_PATH)
            server.serve_forever()
            # SIGTERM: no new connections; the requests in flight finish (their threads are
            # joined), then the work they handed on after their acks.
            server.server_close()
            bolt.hourglass.later.drain()  # type: ignore[attr-defined]
    finally:
        if running is not None:
            stop_clock(running, lead)
    return 0


if __name__ == "__main__":
    sys.exit(main(["run"] + sys.argv[1:]))
