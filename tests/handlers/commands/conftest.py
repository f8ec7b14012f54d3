"""The `acme` fixture, defined once: the app over HTTP with customer acme (professional
plan, one seat, its support channel `acme_channel`, shared with the customer, and the team's
channel `factories.ACME_TEAM` for internal alerts). A module that needs more (another customer, a
block) extends it by taking `acme` and adding with tests/factories.py."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def acme_channel() -> str:
    """acme's alert channel; a module whose tests name another one overrides this."""
    return factories.ACME_CHANNEL


@pytest.fixture
def acme(slack, acme_channel):
    with slack.database.session() as db:
        factories.customer(
            db,
            slack.policy,
            "acme",
            channel=acme_channel,
            team=factories.ACME_TEAM,
            now=slack.clock.now(),
        )
    return slack
