"""Call accounting under concurrency, on SQLite and Postgres, below the Slack layer."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import customers
from bot.calls import calls
from store.models import Alert, PhoneCall
from tests import factories

LONDON = ZoneInfo("Europe/London")


def record(db, policy, customer, minutes, now):
    return calls.record_call(
        db,
        policy,
        customer=customer,
        caller="jane",
        agent_id="UAGENT001",
        duration=timedelta(minutes=minutes),
        on=None,
        user_tz=LONDON,
        quality=None,
        note=None,
        now=now,
    )


def test_a_call_recorded_while_another_is_uncommitted_waits_and_counts_it(database, policy, clock):
    now = clock.now()
    with database.session() as db:
        acme = factories.customer(db, policy, "acme", channel="CACME", now=now)
        record(db, policy, acme, 40, now)
    seen: dict[str, int] = {}
    first_recorded = threading.Event()

    def first():
        with database.session() as db:
            outcome = record(db, policy, customers.get_customer(db, "acme"), 3, now)
            seen["first"] = outcome.caller_seconds
            first_recorded.set()
            time.sleep(0.5)  # hold the transaction open while the second call arrives

    def second():
        first_recorded.wait(10)
        with database.session() as db:
            outcome = record(db, policy, customers.get_customer(db, "acme"), 3, now)
            seen["second"] = outcome.caller_seconds

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # the second waited for the first, so it saw 46 minutes and raised the allowance alert
    assert seen == {"first": 43 * 60, "second": 46 * 60}
    with database.session() as db:
        assert len(list(db.scalars(select(PhoneCall)))) == 3
        keys = set(db.scalars(select(Alert.key)))
    assert "fair_use_allowance:1:jane:2026-11" in keys
