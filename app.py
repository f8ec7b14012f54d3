"""Hourglass composition root: configuration, the Bolt app, the clock and the `hourglass` CLI.

`gunicorn app:wsgi` serves the HTTP endpoint; `python app.py` is `hourglass run`.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from dotenv import load_dotenv
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot import customers, roles
from bot.alerts.outbox import DeliveryReport, deliver_due
from bot.billing import hours as hour_blocks
from bot.clock import Clock, SystemClock
from bot.customers import plans_missing
from bot.features import run_sweep
from bot.parsing import InputError, parse_date, parse_month
from bot.policy.loader import load_policy
from bot.policy.model import Policy, provider_today
from bot.policy.reader import PolicyError
from bot.reports.render import render
from bot.reports.statement import build_statement
from handlers import register_listeners
from handlers.context import Hourglass
from handlers.local import console, demo
from handlers.local.console import LocalWiring
from handlers.messenger import SlackMessenger
from store.db import Database, NotMigrated, ensure_schema, migrate

log = logging.getLogger("hourglass")

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"


class ConfigError(Exception):
    """A missing or malformed setting; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    policy_path: str | None
    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    api_url: str
    port: int
    sweep_seconds: float
    clock_enabled: bool

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        url = env.get("DATABASE_URL") or "sqlite:///hourglass.db"
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):  # Heroku-style URLs: use the psycopg 3 driver
                url = "postgresql+psycopg://" + url[len(prefix) :]
        if not url.startswith(("sqlite:///", "sqlite://", "postgresql+psycopg://")):
            raise ConfigError(
                "DATABASE_URL must be sqlite:///path.db or postgresql+psycopg://user@host/db"
            )
        api_url = env.get("SLACK_API_URL") or DEFAULT_API_URL
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError(f"SLACK_API_URL must be an http(s) URL, not {api_url!r}")
        if not api_url.endswith("/"):
            api_url += "/"
        port_text = env.get("PORT") or "3000"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"PORT must be a port number, not {port_text!r}")
        sweep_text = env.get("HOURGLASS_SWEEP_SECONDS") or "30"
        try:
            sweep_seconds = float(sweep_text)
        except ValueError:
            raise ConfigError(
                f"HOURGLASS_SWEEP_SECONDS must be a number, not {sweep_text!r}"
            ) from None
        if not 0 < sweep_seconds <= 86400:
            raise ConfigError("HOURGLASS_SWEEP_SECONDS must be between 0 and 86400")
        clock = (env.get("HOURGLASS_CLOCK") or "on").lower()
        if clock not in {"on", "off", "true", "false", "1", "0"}:
            raise ConfigError(f"HOURGLASS_CLOCK must be on or off, not {clock!r}")
        token = env.get("SLACK_BOT_TOKEN") or None
        if token is not None and not token.startswith("xox"):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token (xoxb-…)")
        app_token = env.get("SLACK_APP_TOKEN") or None
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-…)")
        return cls(
            database_url=url,
            policy_path=env.get("HOURGLASS_POLICY") or None,
            bot_token=token,
            signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            app_token=app_token,
            api_url=api_url,
            port=int(port_text),
            sweep_seconds=sweep_seconds,
            clock_enabled=clock in {"on", "true", "1"},
        )

    def require(self, *names: str) -> None:
        for name in names:
            if not getattr(self, _FIELDS[name]):
                raise ConfigError(f"{name} is not set (see .env.example)")


_FIELDS = {
    "SLACK_BOT_TOKEN": "bot_token",
    "SLACK_SIGNING_SECRET": "signing_secret",
    "SLACK_APP_TOKEN": "app_token",
}


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


def open_database(settings: Settings, policy: Policy) -> Database:
    """The database, migrated (SQLite) or checked (Postgres), and checked against the policy."""
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
    return database


def create_app(
    settings: Settings,
    *,
    database: Database,
    policy: Policy,
    clock: Clock | None = None,
    client: WebClient | None = None,
    verify_token: bool = True,
) -> App:
    """The Bolt app with every listener registered."""
    client = client or slack_client(settings.bot_token, settings.api_url)
    hourglass = Hourglass(database=database, policy=policy, clock=clock or SystemClock())
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        # Reply only after the command's transaction has committed.
        process_before_response=True,
        token_verification_enabled=verify_token,
        request_verification_enabled=settings.signing_secret is not None,
    )

    @app.middleware
    def provide_hourglass(context, next):  # noqa: A002 - Bolt's argument name
        context["hourglass"] = hourglass
        next()

    @app.error
    def report_error(error, body, logger):
        logger.exception("listener failed: %s", error)

    register_listeners(app)
    app.hourglass = hourglass  # type: ignore[attr-defined]
    return app


# --- the clock ----------------------------------------------------------------------------


def tick(database: Database, policy: Policy, client: WebClient, now: datetime) -> DeliveryReport:
    """One sweep of every alert rule, then one outbox flush."""
    run_sweep(database, policy, now)
    return deliver_due(database, SlackMessenger(client), now)


def start_clock(
    database: Database,
    policy: Policy,
    client: WebClient,
    clock: Clock,
    seconds: float,
    *,
    block: bool,
):
    scheduler = (BlockingScheduler if block else BackgroundScheduler)(timezone="UTC")

    def job():
        try:
            tick(database, policy, client, clock.now())
        except Exception:  # noqa: BLE001 - a failed tick is logged; the next one runs anyway
            log.exception("clock tick failed")

    scheduler.add_job(
        job,
        "interval",
        seconds=seconds,
        id="sweep",
        max_instances=1,
        coalesce=True,
        next_run_time=clock.now(),
    )
    scheduler.start()
    return scheduler


# --- HTTP ---------------------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        log.debug(format, *args)


def wsgi_app(bolt_app: App) -> Callable:
    """Slack at /slack/events, a health check at /healthz, 404 elsewhere."""
    handler = SlackRequestHandler(bolt_app)

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == EVENTS_PATH:
            return handler(environ, start_response)
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return application


def serve_http(bolt_app: App, port: int, host: str = "0.0.0.0"):  # noqa: S104 - a server
    server = make_server(host, port, wsgi_app(bolt_app), _ThreadingWSGIServer, _QuietHandler)
    return server


def _lazy_wsgi():
    """`gunicorn app:wsgi`: the app is built on the first request in each worker."""
    state: dict[str, Callable] = {}
    lock = threading.Lock()

    def application(environ, start_response):
        if "app" not in state:
            with lock:
                if "app" not in state:
                    load_dotenv()
                    settings = Settings.from_env()
                    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
                    policy = load_policy(settings.policy_path)
                    database = open_database(settings, policy)
                    bolt = create_app(settings, database=database, policy=policy)
                    state["app"] = wsgi_app(bolt)
        return state["app"](environ, start_response)

    return application


wsgi = _lazy_wsgi()


# --- CLI ----------------------------------------------------------------------------------


class CliError(Exception):
    """Bad arguments: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CliError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hourglass", description="Support clocks for Slack.")
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
    report.add_argument("--format", choices=["json", "csv", "text"], default="json")
    customer = sub.add_parser("customer", help="manage customers")
    customer_sub = customer.add_subparsers(dest="action", required=True, parser_class=_Parser)
    customer_add = customer_sub.add_parser("add")
    customer_add.add_argument("name")
    customer_add.add_argument("--plan", required=True)
    customer_add.add_argument("--channel", default=None, help="Slack channel ID (C…)")
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
    sub.add_parser("migrate", help="alembic upgrade head on DATABASE_URL")
    sub.add_parser("demo", help="a scripted walk through every feature, no Slack needed")
    return parser


def main(argv: list[str] | None = None) -> int:
    load_dotenv()
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except (CliError, ConfigError, PolicyError, NotMigrated) as exc:
        print(f"hourglass: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - domain refusals reach the user as one line
        if isinstance(exc, InputError):
            print(f"hourglass: {exc}", file=sys.stderr)
            return 2
        raise


def _dispatch(args) -> int:
    if args.command == "demo":
        return demo.main(LOCAL_WIRING)
    settings = Settings.from_env()
    if args.command == "migrate":
        migrate(settings.database_url)
        print(f"hourglass: {settings.database_url.split('@')[-1]} is at the latest schema")
        return 0
    policy = load_policy(settings.policy_path)
    if args.command == "console":
        return console.main(
            LOCAL_WIRING, settings, policy, user=args.user, role=args.role, tz=args.tz
        )
    database = open_database(settings, policy)
    clock = SystemClock()
    if args.command == "run":
        return run(settings, database, policy, clock)
    if args.command == "clock":
        settings.require("SLACK_BOT_TOKEN")
        client = slack_client(settings.bot_token, settings.api_url)
        log.info("clock: sweeping every %ss", settings.sweep_seconds)
        start_clock(database, policy, client, clock, settings.sweep_seconds, block=True)
        return 0
    if args.command == "sweep":
        settings.require("SLACK_BOT_TOKEN")
        now = clock.now()
        if args.at:
            try:
                now = datetime.fromisoformat(args.at)
            except ValueError:
                raise CliError(f"--at {args.at!r} is not an ISO 8601 instant") from None
            if now.tzinfo is None:
                raise CliError("--at needs a timezone offset, e.g. 2026-11-22T09:00:00+00:00")
        report = tick(database, policy, slack_client(settings.bot_token, settings.api_url), now)
        print(
            f"hourglass: sweep done; {report.posted} posted, {report.updated} updated, {report.failed} failed"
        )
        return 1 if report.failed else 0
    return _admin(args, database, policy, clock)


def _admin(args, database: Database, policy: Policy, clock: Clock) -> int:
    now = clock.now()
    with database.session() as db:
        if args.command == "report":
            year, month = parse_month(args.month)
            statement = build_statement(
                db, policy, customers.get_customer(db, args.customer), year, month, now
            )
            print(render(statement, args.format))
        elif args.command == "customer" and args.action == "set":
            _customer_set(args, db, policy, now)
        elif args.command == "customer":
            customer = customers.add_customer(
                db,
                policy,
                name=args.name,
                plan=args.plan,
                channel_id=args.channel,
                seats=args.seats,
                actor="cli",
                now=now,
            )
            print(
                f"hourglass: added customer {customer.name} ({customer.plan}, {customer.seats} seats)"
            )
        elif args.command == "hours":
            customer = customers.get_customer(db, args.customer)
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
        elif args.command == "role":
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", args.user):
                raise InputError(f"{args.user!r} is not a Slack user ID (U…)")
            if args.action == "add":
                roles.grant(db, args.user, args.role, "cli", now)
                print(
                    f"hourglass: {args.user} is now {'an' if args.role == 'agent' else 'a'} {args.role}"
                )
            else:
                removed = roles.revoke(db, args.user)
                print(
                    f"hourglass: {args.user} {'no longer has a role' if removed else 'had no role'}"
                )
    return 0


def _customer_set(args, db, policy: Policy, now: datetime) -> None:
    """`hourglass customer set NAME --phone on|off|plan`: the phone add-on (seed 000)."""
    customer = customers.get_customer(db, args.name)
    setting = customers.parse_phone_setting(args.phone)
    customers.set_phone_support(db, policy, customer, setting, actor="cli", now=now)
    described = customers.describe_phone_support(customer, policy)
    print(f"hourglass: {customer.name} phone support: {described}")


LOCAL_WIRING = LocalWiring(
    settings_from_env=Settings.from_env,
    slack_client=slack_client,
    create_app=create_app,
    open_database=open_database,
    tick=tick,
)


def run(settings: Settings, database: Database, policy: Policy, clock: Clock) -> int:
    settings.require("SLACK_BOT_TOKEN")
    if not settings.app_token:
        settings.require("SLACK_SIGNING_SECRET")
    bolt = create_app(settings, database=database, policy=policy, clock=clock)
    scheduler = None
    if settings.clock_enabled:
        scheduler = start_clock(
            database, policy, bolt.client, clock, settings.sweep_seconds, block=False
        )
    try:
        if settings.app_token:
            log.info("Socket Mode")
            SocketModeHandler(bolt, settings.app_token).start()
        else:
            server = serve_http(bolt, settings.port)
            signal.signal(
                signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start()
            )
            log.info("HTTP mode on port %s at %s", settings.port, EVENTS_PATH)
            server.serve_forever()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(["run"] + sys.argv[1:]))
