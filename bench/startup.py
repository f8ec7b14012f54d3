"""What a one-shot command costs to start (issue 11 item 5): `hourglass --help`, `report`
and `sweep` as processes, on a SQLite file with one customer and nothing due.

For each: the modules it loads (one `python -X importtime` run) and its CPU time (user +
sys of the child process), best and median of `--runs`. With `--against DIR` (another
checkout, e.g. a `git worktree` of an older commit) both are measured, taking turns, so
load from elsewhere on the machine falls on both alike. Informational: the issue sets no
number for it, so it exits 0 unless a command fails.

    python -m bench.startup [--runs 7] [--against ../before]

Run it from the repository root, so it measures this checkout.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

COMMANDS = {
    "--help": ["--help"],
    "report": ["report", "--customer", "acme", "--month", "2026-11"],
    "sweep": ["sweep", "--at", "2026-11-20T10:00:00+00:00"],
}
ENTRY = "import sys, app; sys.exit(app.main(sys.argv[1:]))"


def run(checkout: Path, args: list[str], env: dict[str, str], importtime: bool = False):  # type: ignore[no-untyped-def]
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-c", ENTRY, *args],
        cwd=checkout,
        env={**env, "PYTHONPATH": str(checkout)},
        capture_output=True,
        text=True,
        check=False,
    )


def cpu_of(checkout: Path, args: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = run(checkout, args, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: hourglass {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--against", type=Path, default=None, help="another checkout")
    args = parser.parse_args()
    checkouts = [Path.cwd()] + ([args.against.resolve()] if args.against else [])
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(folder) / 'startup.db'}",
            "LOG_LEVEL": "WARNING",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_API_URL": "http://127.0.0.1:9/api/",  # nothing is due: never called
        }
        made = run(checkouts[0], ["customer", "add", "acme", "--plan", "professional"], env)
        if made.returncode != 0:
            raise SystemExit(f"setting up failed:\n{made.stderr[-2000:]}")
        times: dict[tuple[str, Path], list[float]] = {}
        for _ in range(args.runs):
            for label, command in COMMANDS.items():
                for checkout in checkouts:
                    times.setdefault((label, checkout), []).append(cpu_of(checkout, command, env))
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        for label, command in COMMANDS.items():
            for checkout in checkouts:
                traced = run(checkout, command, env, importtime=True)
                modules = traced.stderr.count("import time:") - 1  # less the header line
                taken = times[(label, checkout)]
                print(
                    f"{label:8} {str(checkout):40} modules {modules:5}  CPU best "
                    f"{min(taken):.2f} s  median {statistics.median(taken):.2f} s"
                )


if __name__ == "__main__":
    main()
