"""Do sweeps read only what is due? Cost of finding due alerts with 200 rows vs 200 + N.

The outbox (and every alert rule) finds its work through an indexed due-at column. If it
scanned the table, the time would grow with every alert ever sent. This benchmark measures
the same query on a small table (the baseline) and on one with N delivered alerts beside
the same due ones, in the same run, and reports the ratio: about 1.0 means the index does
its job; a scan would show roughly N/200.

    python -m bench.bench_due_reads [--rows 100000] [--database-url URL]

Run it from the repository root, so it measures this checkout.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from store.db import Database, migrate
from store.models import Alert
from store.repositories.core import Alerts

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)


def fill(database: Database, due: int, delivered: int) -> None:
    rows = []
    for i in range(due + delivered):
        is_due = i < due
        rows.append(
            {
                "key": f"bench:{i}",
                "kind": "bench",
                "channel": "C1",
                "state": "raised",
                "text": "x",
                "version": 1,
                "delivered_version": 0 if is_due else 1,
                "attempts": 0,
                "next_attempt_at": NOW - timedelta(seconds=i) if is_due else None,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    with database.session() as db:
        for start in range(0, len(rows), 5000):
            db.execute(insert(Alert), rows[start : start + 5000])


def time_due_reads(database: Database, repeats: int = 300) -> float:
    with database.session() as db:
        Alerts.next_due_batch(db, NOW, NOW, 1)  # warm up
        started = time.perf_counter()
        for _ in range(repeats):
            Alerts.next_due_batch(db, NOW, NOW, 1)
        return (time.perf_counter() - started) / repeats


def measure(url_for, rows: int) -> tuple[float, float]:
    results = []
    for delivered in (0, rows):
        url = url_for(delivered)
        migrate(url)
        database = Database(url)
        fill(database, 200, delivered)
        results.append(time_due_reads(database))
        database.dispose()
    return results[0], results[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline, loaded = measure(lambda n: f"sqlite:///{Path(folder) / f'b{n}.db'}", args.rows)
    print(
        f"sqlite: due-alert lookup, 200 rows: {baseline * 1e6:.0f} µs; "
        f"200 + {args.rows} delivered: {loaded * 1e6:.0f} µs; ratio {loaded / baseline:.2f} "
        f"(a full scan would be ~{(args.rows + 200) / 200:.0f})"
    )


if __name__ == "__main__":
    main()
