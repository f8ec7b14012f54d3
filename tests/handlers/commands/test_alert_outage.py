"""Slack down for three hours (issue 18 item 2): an alert raised during the outage is never
dropped; it is retried with back-off capped at 15 minutes, shown to managers in
`/hourglass alerts failed` and on App Home once it has been failing for 30 minutes, and
posted once when Slack comes back. A FixedClock moves through the outage in steps; the
clock's real tick (every sweep rule, then the outbox) runs at each step.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.alerts.delivery import FAILURE_CAP
from bot.alerts.outbox import raise_alert
from store.models import Alert
from tests.handlers.events.test_app_home import manager_home
from tests.harness import MANAGER

CHANNEL = "CTEAM01"


@pytest.fixture
def policy(policy):
    return dataclasses.replace(policy, alert_channel=CHANNEL)


def the_alert(slack) -> Alert:
    with slack.database.session() as db:
        return db.scalar(select(Alert))


@pytest.mark.slow
def test_an_alert_raised_in_a_three_hour_outage_is_posted_once_after_it(slack, clock):
    slack.standin.outage(500, ["chat.postMessage"])
    with slack.database.session() as db:
        raise_alert(
            db, slack.policy, key="long_call:1", kind="long_call", customer=None,
            text="A call has run past 2 h", now=clock.now(),
        )  # fmt: skip
    started = clock.now()
    shown_at = None
    while clock.now() < started + timedelta(hours=3):
        slack.sweep()
        row = the_alert(slack)
        assert row.ts is None and row.next_attempt_at is not None  # never given up
        assert row.next_attempt_at - clock.now() <= FAILURE_CAP
        failed = slack.command("/hourglass alerts failed", MANAGER).text
        if "long_call" in failed and shown_at is None:
            shown_at = clock.now() - started
            assert "still failing since" in failed and "internal_error" in failed
            home = " ".join(manager_home(slack))
            assert "*1 alert problem*" in home and "still failing since" in home
        clock.advance(timedelta(minutes=5))
    assert timedelta(minutes=30) <= shown_at <= timedelta(minutes=35)
    assert the_alert(slack).attempts > 8  # the old limit, passed long ago
    assert slack.standin.messages(CHANNEL) == []

    slack.standin.end_outage()
    clock.advance(FAILURE_CAP)
    report = slack.sweep()
    assert report.posted == 1
    slack.sweep()
    clock.advance(FAILURE_CAP)
    slack.sweep()
    (message,) = slack.standin.messages(CHANNEL)
    assert message.text == "A call has run past 2 h"
    row = the_alert(slack)
    assert row.ts == message.ts and row.failing_since is None and row.next_attempt_at is None
    assert "Every alert was delivered" in slack.command("/hourglass alerts failed", MANAGER).text
