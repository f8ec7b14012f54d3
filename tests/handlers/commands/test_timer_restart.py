"""A running timer is a row: it survives `kill -9` of the app and a fresh start."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.policy.loader import load_policy
from store.models import CallTimer, PhoneCall
from tests import factories
from tests.harness import AGENT, SIGNING_SECRET, AppProcess


@pytest.mark.slow
def test_running_timer_survives_kill_and_restart(database, standin):
    """On the embedded SQLite file and on a migrated Postgres."""
    url = database.url
    now = datetime.now(UTC)
    with database.session() as db:
        factories.role(db, AGENT, "agent", now=now)
        factories.customer(db, load_policy(None), "acme", now=now)
    env = {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.base_url,
        "HOURGLASS_CLOCK": "off",
    }
    first = AppProcess(env, standin=standin).start()
    try:
        reply = first.command("/timer start acme jane")
        assert "Timer started" in reply.text
    finally:
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    with database.session() as db:
        assert db.scalar(select(CallTimer.caller)) == "jane"
    time.sleep(1.1)  # a call is at least one second long
    # the same port: a restart, not a second replica
    with AppProcess(first.env, standin=standin) as second:
        status = second.command("/timer status")
        assert "Timer running for a call with jane" in status.text
        reply = second.command("/timer stop q=3").text
    assert "call with jane (acme) recorded" in reply
    with database.session() as db:
        (call,) = db.scalars(select(PhoneCall))
        assert (call.caller, call.quality, call.source) == ("jane", 3, "timer")
        assert call.seconds >= 1
        assert db.scalar(select(CallTimer)) is None
