"""What does a durable ack cost? `/log` acknowledged with SQLite `synchronous=FULL` vs NORMAL.

Hourglass answers a slash command only after its transaction has committed, so the commit's
fsync is inside the time Slack waits for the ack. With WAL and `synchronous=NORMAL` SQLite
syncs the WAL only at checkpoints, and a transaction it has committed (and we have
acknowledged) may roll back after a power loss or an OS crash; with FULL the WAL is synced
at every commit. This benchmark serves the real app over HTTP twice in the same run, one on
a FULL database and one on a NORMAL one (same folder, same disk), sends signed `/log`
commands to each in turn (so a noisy neighbour hurts both alike) and reports the median and
p95 ack time of each, their ratio, and the disk's own fsync time, which is what FULL adds.

Goal: FULL's median ack is at most 1.5x NORMAL's, and its p95 stays far below Slack's 3 s.
It exits 1 when either is missed.

    python -m bench.bench_ack_durability [--commands 300] [--dir .]

Run it from the repository root, so it measures this checkout. `--dir` must be on the disk
the database will live on: a tmpfs (often /tmp) ignores fsync and would show no cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot import roles
from bot.clock import FixedClock
from bot.policy.loader import load_policy
from bot.policy.model import Policy
from handlers.local.standin import SlackStandIn
from store.db import Database, make_engine, migrate
from tests import factories
from tests.harness import AGENT, SlackApp

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
GOAL_RATIO = 1.5  # FULL's median ack over NORMAL's
GOAL_P95_SECONDS = 1.0  # well inside Slack's 3 s
WARM_UP = 10  # commands per app before measuring: caches, the profile, the first WAL frames


@dataclass
class Run:
    mode: str
    app: SlackApp
    seconds: list[float]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def serve(folder: Path, mode: str, policy: Policy, standin: SlackStandIn) -> Run:
    url = f"sqlite:///{folder / f'{mode.lower()}.db'}"
    migrate(url)
    database = Database(url, engine=make_engine(url, sqlite_synchronous=mode))
    with database.session() as db:
        roles.grant(db, AGENT, "agent", "bench", NOW)
        factories.customer(db, policy, "acme", now=NOW)
    return Run(mode, SlackApp(database, policy, standin, FixedClock(NOW)), [])


def send(run: Run, number: int) -> None:
    # A different note each time: the same text twice within a minute may be asked about.
    reply = run.app.command(f"/log 1m acme bench {number}", AGENT)
    if reply.status != 200 or "Logged" not in reply.text:
        raise SystemExit(f"{run.mode}: /log was not recorded: {reply.status} {reply.text!r}")
    run.seconds.append(reply.seconds)


def measure(folder: Path, commands: int) -> tuple[Run, Run]:
    policy = load_policy(None)
    with SlackStandIn() as standin:
        standin.add_user(AGENT, "alex", "Europe/London")
        full, normal = (serve(folder, mode, policy, standin) for mode in ("FULL", "NORMAL"))
        try:
            for run in (full, normal):
                for number in range(WARM_UP):
                    send(run, -1 - number)
                run.seconds.clear()
            # One command each in turn, first one then the other: a busy neighbour or a
            # checkpoint slows both alike, so the ratio is the cost of the setting.
            for number in range(commands):
                for run in (full, normal) if number % 2 else (normal, full):
                    send(run, number)
        finally:
            for run in (full, normal):
                run.app.close()
                run.app.database.dispose()
    return full, normal


def fsync_ms(folder: Path, times: int = 100) -> float:
    """The disk's own median fsync time: what FULL adds to each commit, give or take."""
    seconds = []
    with open(folder / "fsync.probe", "wb") as probe:
        for _ in range(times):
            probe.write(b"x" * 4096)
            probe.flush()
            started = time.perf_counter()
            os.fsync(probe.fileno())
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=300, help="per database")
    parser.add_argument("--dir", default=".", help="a folder on the disk to measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-ack-") as folder:
        disk = fsync_ms(Path(folder))
        full, normal = measure(Path(folder), args.commands)
    ms = {
        run.mode: (statistics.median(run.seconds) * 1000, run.percentile(0.95) * 1000)
        for run in (full, normal)
    }
    ratio = ms["FULL"][0] / ms["NORMAL"][0]
    p95_ratio = ms["FULL"][1] / ms["NORMAL"][1]
    print(
        f"sqlite: /log ack over HTTP, {args.commands} commands each; "
        f"NORMAL median {ms['NORMAL'][0]:.1f} ms p95 {ms['NORMAL'][1]:.1f} ms; "
        f"FULL median {ms['FULL'][0]:.1f} ms p95 {ms['FULL'][1]:.1f} ms; "
        f"ratio median {ratio:.2f} p95 {p95_ratio:.2f}; this disk's fsync {disk:.2f} ms "
        f"(goal: median ratio <= {GOAL_RATIO}, FULL p95 <= {GOAL_P95_SECONDS * 1000:.0f} ms)"
    )
    missed = ratio > GOAL_RATIO or ms["FULL"][1] > GOAL_P95_SECONDS * 1000
    if missed:
        print("goal missed", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
