"""How close are Hourglass's acks to a bare Bolt app's, under load, on both databases?

Serves a bare Bolt app whose `/ping` only acks (bench/bare_ping.py, same signing secret) and
Hourglass (`gunicorn app:wsgi`, the repository's gunicorn.conf.py), each with gunicorn
`--workers 2 --threads 4`, and sends signed slash commands from 16 concurrent keep-alive
connections for a fixed time per row: `/ping` to the bare app, `/balance acme` and
`/log 5m acme <note>` to Hourglass (each `/log` a different note, so none is asked about as
a repeat). Each database is fresh for the run (customer acme, added a month ago, with a block;
64 agents, whom the commands come from in turn) and removed after; the Slack Web API is the local stand-in, so nothing leaves the machine.

Prints throughput, p50, p99 and errors per row, each p50's ratio to the bare app's measured
in the same run, and the CPU time the server's processes (gunicorn's master and workers, from
/proc: Linux) spent per request, with its ratio to the bare app's: on a shared 2-core machine
the latencies move with whatever else runs, the CPU a request costs much less so, and with
16 connections on 2 cores the p50 is about 16 / throughput, so the CPU ratio is what bounds
the p50 ratio (Postgres's own server processes are not in the figure). Goals: p50 of `/balance` and `/log` at most 2x the bare app's;
p99 at most 100 ms; no errors. Exits 1 when a goal is missed.

    python -m bench.ack [--seconds 10] [--databases sqlite,postgres] [--postgres-url URL]

Run it from the repository root, so it measures this checkout. The load generator runs in
this process and shares the machine's cores with the servers, as the bare app does.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bot.features  # noqa: F401 - registers the charge sources, as app.py does
from bench.databases import throwaway_postgres
from bot.policy.loader import load_policy
from handlers.local.standin import SlackStandIn, signed_headers, slash_command_body
from store.db import Database, migrate
from store.repositories.core import UserProfiles
from tests import factories
from tests.harness import ROOT, SIGNING_SECRET, free_port, process_env

CONNECTIONS = 16
GOAL_P50_RATIO = 2.0  # /balance and /log p50 over the bare /ping's
GOAL_P99_MS = 100.0
PATH = "/slack/events"
# Commands come from many agents: one agent may log at most 24 h a day (288 x 5m).
AGENTS = [f"UBENCH{n:03d}" for n in range(64)]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Row:
    database: str
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    server_cpu: float = 0.0  # seconds of CPU the server's processes spent on the row

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu * 1000 / len(self.latencies) if self.latencies else float("nan")

    def percentile_ms(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


# --- servers -------------------------------------------------------------------------------

SERVERS: dict[int, int] = {}  # port -> gunicorn master's pid
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of `root` and every process under it, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICKS
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


@contextmanager
def gunicorn(target: str, env: dict[str, str], folder: Path, config: str) -> Iterator[int]:
    """gunicorn serving `target` with 2 workers x 4 threads on a free port; yields the port."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", target, "--config", config]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"]
    command += ["--control-socket", str(folder / f"gunicorn-{port}.ctl")]
    log = open(folder / f"gunicorn-{port}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=ROOT, env=process_env(env), stdout=log, stderr=log)
    try:
        wait_listening(port, process, folder / f"gunicorn-{port}.log")
        SERVERS[port] = process.pid
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited: {log.read_text()[-2000:]}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()
    raise SystemExit(f"gunicorn did not listen on {port} within 30 s")


# --- databases -----------------------------------------------------------------------------


@contextmanager
def fresh_database(kind: str, folder: Path, postgres_url: str) -> Iterator[str]:
    """A migrated database for this run only (a file, or a Postgres database dropped after)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'ack.db'}"
        return
    with throwaway_postgres(postgres_url, "ack") as url:
        yield url


def seed(url: str) -> None:
    """Customer acme, added a month ago, with a large block; the agents, their time zones
    known (as after their first command): what both commands need."""
    migrate(url)
    policy, now = load_policy(None), datetime.now(UTC)
    database = Database(url)
    with database.session() as db:
        for agent in AGENTS:
            factories.role(db, agent, "agent", now=now)
            UserProfiles.upsert(db, agent, "Europe/London", agent.lower(), now)
        acme = factories.customer(db, policy, "acme", now=now, added=now - timedelta(days=30))
        factories.hour_block(db, policy, acme, hours=10_000, now=now)
    database.dispose()


# --- load ----------------------------------------------------------------------------------


_numbers = itertools.count()  # one series for the whole run: every /log note differs
Check = Callable[[int, bytes], str]  # status, body -> "" if fine, else what was wrong


def acked(status: int, body: bytes) -> str:
    return "" if status == 200 else f"HTTP {status}: {body[:200]!r}"


def answered(expected: str) -> Check:
    def check(status: int, body: bytes) -> str:
        if status != 200:
            return f"HTTP {status}: {body[:200]!r}"
        reply = json.loads(body or b"{}").get("text", "")
        return "" if expected in reply else f"unexpected reply: {reply[:200]!r}"

    return check


def load(port: int, row: Row, line: Callable[[int], str], check: Check, seconds: float) -> None:
    """CONNECTIONS threads, each on its own keep-alive connection, for `seconds`."""
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                number = next(_numbers)
            command, _, rest = line(number).partition(" ")
            body = slash_command_body(command, rest, user_id=AGENTS[number % len(AGENTS)])
            headers = signed_headers(SIGNING_SECRET, body, int(time.time()))
            started = time.perf_counter()
            try:
                connection.request("POST", PATH, body=body.encode(), headers=headers)
                response = connection.getresponse()
                wrong = check(response.status, response.read())
            except (OSError, http.client.HTTPException, ValueError) as exc:
                wrong = f"{type(exc).__name__}: {exc}"
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                row.latencies.append(elapsed)
                if wrong:
                    row.errors += 1
                    row.first_error = row.first_error or wrong
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    row.seconds = time.monotonic() - started


def measure(port: int, database: str, name: str, line, check, seconds: float) -> Row:
    load(port, Row(database, "warm-up"), line, check, 1.0)  # each worker builds its app
    row = Row(database, name)
    before = tree_cpu(SERVERS[port])
    load(port, row, line, check, seconds)
    row.server_cpu = tree_cpu(SERVERS[port]) - before
    return row


def run_database(kind: str, bare: int, standin: SlackStandIn, args, folder: Path) -> list[Row]:
    with fresh_database(kind, folder, args.postgres_url) as url:
        seed(url)
        env = {
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.base_url,
        }
        rows = [measure(bare, kind, "bare /ping", lambda n: "/ping", acked, args.seconds)]
        run = uuid.uuid4().hex[:6]
        with gunicorn("app:wsgi", env, folder, str(ROOT / "gunicorn.conf.py")) as port:
            rows.append(
                measure(port, kind, "/balance acme", lambda n: "/balance acme",
                        answered("*acme*"), args.seconds)
            )  # fmt: skip
            rows.append(
                measure(port, kind, "/log 5m acme", lambda n: f"/log 5m acme bench {run} {n}",
                        answered("Logged"), args.seconds)
            )  # fmt: skip
    return rows


# --- report --------------------------------------------------------------------------------


def report(rows: list[Row]) -> bool:
    """Prints the table and the goals; True if every goal was met."""
    print(f"{'database':9} {'command':14} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6} {'p50/bare':>8} {'cpu ms/req':>10} {'cpu/bare':>8}")  # fmt: skip
    met = True
    for row in rows:
        bare = next(r for r in rows if r.database == row.database and r.name == "bare /ping")
        ratio = row.percentile_ms(0.5) / bare.percentile_ms(0.5)
        print(
            f"{row.database:9} {row.name:14} {row.throughput:7.0f} {row.percentile_ms(0.5):8.1f} "
            f"{row.percentile_ms(0.99):8.1f} {row.errors:6d} {ratio:8.2f} "
            f"{row.cpu_ms:10.2f} {row.cpu_ms / bare.cpu_ms:8.2f}"
        )
        if row.first_error:
            print(f"          first error: {row.first_error}")
        if row is not bare:
            met &= ratio <= GOAL_P50_RATIO and row.percentile_ms(0.99) <= GOAL_P99_MS
        met &= row.errors == 0
    print(
        f"goal: p50 of /balance and /log <= {GOAL_P50_RATIO:g}x the bare app's; "
        f"p99 <= {GOAL_P99_MS:.0f} ms; 0 errors -> {'met' if met else 'MISSED'}"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0, help="per row")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--dir", default=".", help="where the SQLite file lives (not a tmpfs)")
    args = parser.parse_args()
    print(
        f"{CONNECTIONS} connections, gunicorn --workers 2 --threads 4, {args.seconds:g} s a row, "
        f"{os.cpu_count()} CPUs"
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-ack-") as name:
        folder = Path(name)
        with SlackStandIn() as standin:
            for agent in AGENTS:
                standin.add_user(agent, agent.lower(), "Europe/London")
            bare_env = {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": standin.base_url}
            config = str(ROOT / "bench" / "bare_ping.py")
            with gunicorn("bench.bare_ping:wsgi", bare_env, folder, config) as bare:
                for kind in args.databases.split(","):
                    rows += run_database(kind.strip(), bare, standin, args, folder)
            # The stand-in runs in this process: calls to it take time from the load.
            methods = Counter(call.method for call in standin.calls)
            print(f"Slack stand-in: {dict(methods)} Web API calls, "
                  f"{len(standin.responses)} response_url posts")  # fmt: skip
    met = report(rows)
    if not met:
        print("goal missed", file=sys.stderr)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
