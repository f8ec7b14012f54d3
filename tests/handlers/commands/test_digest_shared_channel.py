"""A digest channel set by mistake to a customer's support channel: the digest (every
customer's money and risks) is never posted where that customer reads it; it goes to the
team's alert channel instead, and the mistake is logged. Both databases."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.policy.loader import default_policy_text, parse_policy
from tests.factories import ACME_CHANNEL

MONDAY_0900 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TEAM_ALERTS = "CALERTS"


@pytest.fixture
def policy():
    text = default_policy_text() + f'\n[insights]\ndigest_channel = "{ACME_CHANNEL}"\n'
    return replace(parse_policy(text, "digest in a shared channel"), alert_channel=TEAM_ALERTS)


def test_the_digest_goes_to_the_team_not_the_customers_channel(acme, standin, caplog):
    with caplog.at_level(logging.ERROR, logger="hourglass"):
        acme.sweep(at=MONDAY_0900)
        acme.sweep(at=MONDAY_0900)
    assert not [p for p in standin.posted(ACME_CHANNEL) if "digest" in p["text"].lower()]
    (digest,) = [p for p in standin.posted(TEAM_ALERTS) if "Weekly digest" in p["text"]]
    assert digest["text"].startswith(":calendar: *Weekly digest, week of 2026-11-23*")
    assert "is acme's support channel, shared with the customer" in caplog.text
