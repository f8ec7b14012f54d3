"""Does a command's cost grow with the customer's history? One month vs five years.

One customer with a month of history (the baseline) and one with five years of it
(10 `/log` entries a day, a 600 h block every 30 days: ~18k entries, 60 blocks; every
ended month issued, as a team does), measured in the same run, two ways:

* in-process through the domain (`balance_for`, `log_time` + its reply, the month's
  `monthly_statement`), each run in a transaction rolled back;
* over HTTP to `hourglass run` (python app.py, HTTP mode, clock off, Slack's Web API a
  local stand-in): signed `/balance <customer>`, `/log 5m <customer> …` and
  `/hourglass report <customer> <month>`, timed from the request to the answer (the one
  that follows a "One moment" ack through response_url, if any), the two customers taking
  turns.

Goal (issue 11): the five-year figure at most 1.5x the one-month figure for each command,
both ways, and the month's statement under 150 ms in-process at five years.

    python -m bench.history [--database-url URL] [--repeats N] [--profile] [--no-http]

Run it from the repository root, so it measures this checkout. Exits 1 on a missed goal.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

import bot.features  # noqa: F401  (registers the ledger's charge sources)
from bot.billing import timelog
from bot.policy.loader import load_policy
from bot.policy.model import Policy
from bot.reports.balance import balance_for
from bot.reports.issued import issue, monthly_statement
from handlers.local.standin import SlackStandIn
from store.db import Database, migrate
from store.models import Customer, HourBlock, TimeEntry
from tests import factories
from tests.harness import MANAGER, SIGNING_SECRET, AppProcess

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
TODAY = NOW.date()
GOAL_RATIO = 1.5
GOAL_STATEMENT_S = 0.150


def fill(db, policy: Policy, name: str, days: int) -> Customer:  # type: ignore[no-untyped-def]
    """A customer with `days` of history: 10 entries a day, a 600 h block every 30 days."""
    first = TODAY - timedelta(days=days)
    customer = factories.customer(db, policy, name, now=NOW, added=NOW - timedelta(days=days + 1))
    blocks = [
        {
            "customer_id": customer.id,
            "minutes": 600 * 60,
            "purchased": first + timedelta(days=d),
            "expires": first + timedelta(days=d + 90),
            "created_at": NOW,
            "created_by": "bench",
        }
        for d in range(0, days, 30)
    ]
    db.execute(insert(HourBlock), blocks)
    entries = [
        {
            "customer_id": customer.id,
            "agent_id": "UAGENT",
            "work_date": first + timedelta(days=d),
            "minutes": 5 + i,
            "kind": "one_on_one",
            "created_at": NOW,
        }
        for d in range(days)
        for i in range(10)
    ]
    for start in range(0, len(entries), 5000):
        db.execute(insert(TimeEntry), entries[start : start + 5000])
    db.flush()
    _issue_ended_months(db, policy, customer, first)
    return customer


def _issue_ended_months(db, policy: Policy, customer: Customer, first: date) -> None:  # type: ignore[no-untyped-def]
    """Issue every ended month, as a team does each month: /balance lists unissued ones."""
    year, month = first.year, first.month
    while (year, month) < (TODAY.year, TODAY.month):
        issue(db, policy, customer, year, month, actor="bench", now=NOW)
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)


def commands(policy: Policy, name: str) -> dict[str, Callable]:  # type: ignore[type-arg]
    def balance(db) -> None:  # type: ignore[no-untyped-def]
        balance_for(db, policy, _customer(db, name), NOW)

    def log(db) -> None:  # type: ignore[no-untyped-def]
        request = timelog.parse_log(["5m", name], policy, TODAY)
        timelog.log_time(db, policy, request, agent_id="UBENCH", now=NOW)

    def statement(db) -> None:  # type: ignore[no-untyped-def]
        monthly_statement(db, policy, _customer(db, name), TODAY.year, TODAY.month, NOW)

    return {"/balance": balance, "/log": log, "statement": statement}


def _customer(db, name: str) -> Customer:  # type: ignore[no-untyped-def]
    return db.query(Customer).filter_by(name=name).one()


def time_command(database: Database, run: Callable, repeats: int) -> float:  # type: ignore[type-arg]
    """Median seconds of `run` over `repeats` sessions (each rolled back: nothing piles up)."""
    return _median(_samples(database, [run], repeats)[0])


def time_pair(database: Database, runs: list[Callable], repeats: int) -> list[float]:  # type: ignore[type-arg]
    """Median seconds of each of `runs`, taking turns run by run, so load from elsewhere on
    the shared machine falls on both alike."""
    return [_median(samples) for samples in _samples(database, runs, repeats)]


def _samples(database: Database, runs: list[Callable], repeats: int) -> list[list[float]]:  # type: ignore[type-arg]
    samples: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats + 1):  # the first of each warms the process up: dropped
        for run, taken in zip(runs, samples, strict=True):
            with database.engine.connect() as connection:
                transaction = connection.begin()
                db = Session(bind=connection)
                started = time.perf_counter()
                run(db)
                taken.append(time.perf_counter() - started)
                db.close()
                transaction.rollback()
    return [taken[1:] for taken in samples]


def statements_of(database: Database, run: Callable) -> int:  # type: ignore[type-arg]
    """The SQL statements one (warm) run of `run` sends, the customer's lookup included: each
    a round trip on Postgres."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        _samples(database, [run], 0)  # one more run, after the timed ones
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return len(seen)


def _median(samples: list[float]) -> float:
    return sorted(samples)[(len(samples) - 1) // 2]


def measure(url: str, repeats: int, profile: bool) -> dict[str, tuple[float, float]]:
    migrate(url)
    database = Database(url)
    policy = load_policy(None)
    with database.session() as db:
        fill(db, policy, "month", 30)
        fill(db, policy, "years", 5 * 365)
    results = {}
    for label in commands(policy, "month"):
        runs = [commands(policy, "month")[label], commands(policy, "years")[label]]
        month, years = time_pair(database, runs, repeats)
        results[label] = (month, years)
    for label, run in commands(policy, "years").items():
        print(f"{label:10} at five years: {statements_of(database, run)} SQL statements (warm)")
    if profile:
        for label, run in commands(policy, "years").items():
            profiler = cProfile.Profile()
            profiler.enable()
            time_command(database, run, 1)
            profiler.disable()
            print(f"--- profile of {label} at five years ---")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)
    database.dispose()
    return results


def http_lines(name: str, turn: int) -> dict[str, str]:
    """The signed commands timed over HTTP; each `/log` has its own note, so none is asked
    about as a repeat of the last minute's."""
    return {
        "/log": f"/log 5m {name} general http run {turn}",
        "/balance": f"/balance {name}",
        "statement": f"/hourglass report {name} {TODAY:%Y-%m}",
    }


def measure_http(url: str, repeats: int) -> dict[str, tuple[float, float]]:
    """Median seconds from request to answer over HTTP to `hourglass run`, per command, for
    the one-month and the five-year customer, taking turns (the first of each dropped)."""
    database = Database(url)
    with database.session() as db:
        factories.role(db, MANAGER, "manager", now=NOW)
    database.dispose()
    turns = itertools.count()
    with SlackStandIn() as standin:
        standin.add_user(MANAGER, "maya", "Europe/London")
        env = {
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.base_url,
            "HOURGLASS_CLOCK": "off",
        }
        names = ("month", "years")
        samples: dict[str, list[list[float]]] = {label: [[], []] for label in http_lines("", 0)}
        with AppProcess(env, standin=standin) as app:
            for _ in range(repeats + 1):
                for n, name in enumerate(names):
                    # `/log` first: the `/balance` after it finds its kept copy out of date
                    # (a new balance version) and derives the balance again, as the first
                    # `/balance` after any write does; a repeated `/balance` is a cache hit
                    # whatever the history (bot/reports/balance_cache.py).
                    for label, line in http_lines(name, next(turns)).items():
                        started = time.perf_counter()
                        reply = app.command(line, MANAGER)
                        samples[label][n].append(time.perf_counter() - started)
                        if reply.status != 200 or reply.text.startswith(":warning:"):
                            raise SystemExit(f"{line!r} answered {reply.status}: {reply.text}")
    return {
        label: (_median(month[1:]), _median(years[1:])) for label, (month, years) in samples.items()
    }


def report(title: str, results: dict[str, tuple[float, float]]) -> bool:
    """Prints each command's figures and ratio; True if a ratio missed its goal."""
    print(title)
    missed = False
    for label, (month, years) in results.items():
        ratio = years / month
        missed |= ratio > GOAL_RATIO
        print(
            f"{label:10} one month {month * 1e3:7.1f} ms  five years {years * 1e3:7.1f} ms  "
            f"ratio {ratio:5.2f}{'' if ratio <= GOAL_RATIO else '  MISSED'}"
        )
    return missed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-http", action="store_true", help="in-process figures only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'history.db'}"
        results = measure(url, args.repeats, args.profile)
        over_http = None if args.no_http else measure_http(url, args.repeats)
    print(f"goal: five years / one month <= {GOAL_RATIO}; statement < 150 ms at five years")
    missed = report("in-process:", results)
    if over_http is not None:
        missed |= report("over HTTP to hourglass run:", over_http)
    statement_years = results["statement"][1]
    missed |= statement_years > GOAL_STATEMENT_S
    print(
        f"statement at five years {statement_years * 1e3:.1f} ms (goal < "
        f"{GOAL_STATEMENT_S * 1e3:.0f} ms){'' if statement_years <= GOAL_STATEMENT_S else '  MISSED'}"
    )
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
