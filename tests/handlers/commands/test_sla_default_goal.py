"""The bundled default policy: seed 003's tiers with seed 004's 90%-within-6h goal layered on.

A `priority` ticket on the default professional plan (24/7) is warned at 75% of its internal
6h, breached only at 003's public 8h, and a first response after 6h — inside 003's target —
still counts against seed 004's goal. Over signed HTTP, on SQLite and Postgres.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from store.models import Alert
from tests.harness import MANAGER

CHANNEL = "CACME01"
TEAM = "CACMETEAM"  # SLA warnings are internal: the team's channel (issue 17)


@pytest.fixture
def acme(slack):
    reply = slack.command(
        f"/hourglass customer add acme plan=professional channel=<#{CHANNEL}|acme> "
        f"team=<#{TEAM}|acme-team>",
        MANAGER,
    )
    assert "Added customer *acme*" in reply.text
    return slack


def alert_kinds(database) -> list[str]:
    with database.session() as db:
        return list(db.scalars(select(Alert.kind).order_by(Alert.id)))


def test_a_default_ticket_is_warned_internally_and_measured_against_the_6h_goal(
    acme, standin, clock
):
    reply = acme.command("/ticket open acme priority Export broken")  # Fri 10:00 GMT
    due = "First response due Fri 20 Nov 18:00 GMT (internal Fri 20 Nov 16:00 GMT)"
    assert due in reply.text
    acme.sweep(at=datetime(2026, 11, 20, 14, 29, tzinfo=UTC))
    assert alert_kinds(acme.database) == []
    acme.sweep(at=datetime(2026, 11, 20, 14, 30, tzinfo=UTC))  # 75% of the internal 6h
    assert alert_kinds(acme.database) == ["sla_warning"]
    assert "SLA warning" in standin.posted(TEAM)[0]["text"]
    assert standin.posted(CHANNEL) == []
    clock.set(datetime(2026, 11, 20, 16, 30, tzinfo=UTC))  # 6h30m: inside 003's 8h
    acme.command("/ticket respond 1")
    acme.sweep()
    assert "sla_breach" not in alert_kinds(acme.database)
    report = acme.command("/hourglass sla acme 2026-11", MANAGER).text
    assert "1 ticket, 1 responded, 0 breached, 100.0% within target" in report
    assert "goal 90% of first responses within 6h: missed" in report
