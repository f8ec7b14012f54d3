"""Breach-to-post latency (issue 12): from the instant a ticket's public SLA target passed
to the moment Slack received the breach.

The sweep records the instant in the alert's data (`breached_at`, bot/sla/escalation.py);
the Web API stand-in records when each call arrived (`ApiCall.at`). The breach reached Slack
with the alert's `chat.postMessage` if the breach was its first message, else with the
first `chat.update` of its message that says "SLA breached" (a ticket that warned first).
bench/chaos.py reports these; tests/test_clock_failover.py shows one across a handover.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from handlers.local.standin import ApiCall
from store.db import Database
from store.models import Alert

BREACH_WORDS = "SLA breached"


def breach_latencies(
    database: Database, calls: Iterable[ApiCall], *, landed: bool = False
) -> dict[str, float]:
    """Seconds from breach to Slack, by alert key, for every breached alert Slack got.
    `landed`: to the first call that put the breach in the channel, not counting calls a
    chaos draw failed (a 429, a 500, a hang before doing anything); a hang after doing the
    call landed when it arrived. Without it, to the first call that reached Slack at all."""
    with database.session(readonly=True) as db:
        rows = db.scalars(select(Alert).where(Alert.key.like("sla:%"))).all()
    breached = {
        row.key: datetime.fromisoformat(row.data["breached_at"]).timestamp()
        for row in rows
        if row.data and row.data.get("breached_at")
    }
    by_message: dict[tuple[Any, Any], str] = {
        (row.posted_channel or row.channel, row.ts): row.key for row in rows if row.ts
    }
    reached: dict[str, float] = {}
    for call in sorted(calls, key=lambda c: c.at):
        if BREACH_WORDS not in str(call.params.get("text") or ""):
            continue
        if landed and call.fault not in (None, "hang-done"):
            continue
        key: str | None = None
        if call.method == "chat.postMessage":
            metadata = call.params.get("metadata")
            payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
            key = payload.get("key") if isinstance(payload, dict) else None
        elif call.method == "chat.update":
            key = by_message.get((call.params.get("channel"), call.params.get("ts")))
        if key in breached and key not in reached:
            reached[key] = call.at.timestamp()
    return {key: at - breached[key] for key, at in reached.items()}


def percentile(values: Iterable[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.99 for p99); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
