"""Seed 002: a Monday-to-Saturday 9.30-18.30 desk (in Hawaii), read by an agent in London."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.policy.loader import load_policy
from tests import factories
from tests.handlers.commands.test_tickets import alerts
from tests.harness import ROOT

SEED_002 = ROOT / "examples" / "policies" / "002_business_hours.toml"


@pytest.fixture
def policy():
    return load_policy(SEED_002)


@pytest.fixture
def hooli(slack):
    with slack.database.session() as db:
        factories.customer(
            db, slack.policy, "hooli", plan="standard", channel="CHOOLI1", now=slack.clock.now()
        )
    return slack


def test_saturday_evening_waits_for_monday(hooli, clock):
    clock.set(datetime(2026, 11, 29, 4, 0, tzinfo=UTC))  # Sat 28 Nov 18:00 in Honolulu
    reply = hooli.command("/ticket open hooli critical Server unreachable")
    # 30 minutes on Saturday, Sunday closed, then 09:30-10:00 Monday (20:00 in London).
    assert "First response due Mon 30 Nov 20:00 GMT" in reply.text
    hooli.sweep(at=datetime(2026, 11, 29, 22, 0, tzinfo=UTC))  # Sunday noon in Honolulu
    assert [a.kind for a in alerts(hooli.database)] == ["sla_warning"]  # 22m30s: Saturday
    hooli.sweep(at=datetime(2026, 11, 30, 19, 59, tzinfo=UTC))
    assert alerts(hooli.database)[0].kind == "sla_warning"
    hooli.sweep(at=datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
    assert alerts(hooli.database)[0].kind == "sla_warning"  # "within 1 hour" includes 20:00
    hooli.sweep(at=datetime(2026, 11, 30, 20, 0, 1, tzinfo=UTC))
    assert alerts(hooli.database)[0].kind == "sla_breach"


def test_thanksgiving_is_skipped(hooli, clock):
    clock.set(datetime(2026, 11, 26, 4, 0, tzinfo=UTC))  # Wed 25 Nov 18:00 in Honolulu
    reply = hooli.command("/ticket open hooli critical Payroll export")
    assert "First response due Fri 27 Nov 20:00 GMT" in reply.text
    clock.set(datetime(2026, 11, 27, 21, 0, tzinfo=UTC))
    why = hooli.command("/ticket why 1").text
    assert "Thanksgiving" in why and "skipped" in why
    assert "First response was due Fri 27 Nov 20:00 GMT" in why
