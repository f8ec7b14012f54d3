"""block_low fires for every drawdown, not only /log: held sessions and cancellation charges
take hours from the same blocks (regression: only /log raised it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import customers
from store.models import Alert
from tests import factories
from tests.harness import MANAGER

CHANNEL = factories.ACME_CHANNEL


@pytest.fixture
def acme(acme):
    """acme with a 3-hour block (the block-low threshold is 2h)."""
    with acme.database.session() as db:
        customer = customers.get_customer(db, "acme")
        factories.hour_block(
            db, acme.policy, customer, hours=3, purchased=date(2026, 11, 1), now=acme.clock.now()
        )
    return acme


def low_alerts(database) -> list[Alert]:
    with database.session() as db:
        return list(db.scalars(select(Alert).where(Alert.kind == "block_low")))


def test_a_held_session_that_takes_the_balance_low_raises_block_low_once(acme, clock, standin):
    assert "Booked #1" in acme.command("/book acme 2026-11-23 10:00 90m").text
    acme.sweep()  # reminders etc.; nothing drawn yet
    assert low_alerts(acme.database) == []
    for hours in (26, 27, 28):  # the session ended Mon 11:30 London; sweeps after it
        acme.sweep(at=datetime(2026, 11, 22, 9, tzinfo=UTC) + timedelta(hours=hours))
    (alert,) = low_alerts(acme.database)
    assert "1h 30m left (threshold 2h)" in alert.text
    # Low balance is the team's by default (issue 17), not the customer's channel's.
    assert [p for p in standin.posted(CHANNEL) if "low on prepaid hours" in p["text"]] == []
    low = [p["text"] for p in standin.posted(factories.ACME_TEAM) if "low on prepaid" in p["text"]]
    assert low == [alert.text]


def test_a_late_cancellation_charge_can_take_the_balance_low(acme, clock):
    acme.command("/log 60m acme")  # 2h left: at the threshold already
    assert len(low_alerts(acme.database)) == 1  # /log raised it, as before
    acme.command("/hourglass hours add acme 0.5", MANAGER)  # 2h 30m; a new block re-arms it
    acme.command("/book acme tomorrow 09:00 1h")  # 23h ahead: cancelling is late
    assert "30m billed" in acme.command("/book cancel #1").text
    alerts = low_alerts(acme.database)
    assert len(alerts) == 2 and "2h left (threshold 2h)" in alerts[-1].text


def test_training_never_takes_hours_from_the_blocks(acme, clock):
    acme.command("/book acme 2026-11-23 10:00 2h training")
    acme.sweep(at=datetime(2026, 11, 23, 13, tzinfo=UTC))
    assert low_alerts(acme.database) == []


def test_a_session_held_after_its_block_expired_corrects_the_forfeit_in_place(slack, standin):
    # Regression: the forfeit recorded at expiry was never revisited, so the posted alert
    # said 3h forfeited although the session (dated the 20th, valid then) used 2h of it.
    slack.command(
        f"/hourglass customer add acme plan=professional channel=<#{CHANNEL}|acme>", MANAGER
    )
    slack.command("/hourglass hours add acme 3 purchased 2026-08-23", MANAGER)  # expires 21 Nov
    assert "Booked #1" in slack.command("/book acme 2026-11-20 23:00 2h").text
    slack.sweep(at=datetime(2026, 11, 21, 0, 30, tzinfo=UTC))  # expired; the session runs on
    (posted,) = [p for p in standin.posted(CHANNEL) if "expired on" in p["text"]]
    assert "0m used, 3h unused and forfeited" in posted["text"]
    slack.sweep(at=datetime(2026, 11, 21, 1, 5, tzinfo=UTC))  # the session has been held
    slack.sweep(at=datetime(2026, 11, 21, 1, 10, tzinfo=UTC))
    (edit,) = [u for u in standin.updated(CHANNEL) if "expired on" in u["text"]]
    assert "2h used, 1h unused and forfeited" in edit["text"]
    from store.models import HourBlock

    with slack.database.session() as db:
        assert db.scalar(select(HourBlock.forfeited_minutes)) == 60
