"""The outbox flush in batches (issue 11, bench/sweep.py): a batch of alerts is leased in one
transaction and recorded in one more, and each alert keeps its guarantees: posted once, a
crash mid-batch loses nothing, one alert that cannot be recorded holds back none of the
others. Against the real database (both dialects) and the stand-in over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.alerts.delivery import BATCH, deliver_due
from store.models import Alert
from tests.bot.alerts.test_delivery import (
    CHANNEL,
    CrashAfterPost,
    Killed,
    keys_in,
    messenger,
    raise_alerts,
)
from tests.statements import counting


class CrashOnSecondPost(CrashAfterPost):
    """The process dies right after Slack accepted the batch's second post."""

    def __init__(self, inner):
        super().__init__(inner)
        self.posts = 0

    def post(self, *args, **kwargs):
        self.posts += 1
        if self.posts == 2:
            return super().post(*args, **kwargs)
        return self.inner.post(*args, **kwargs)


class Counting(CrashAfterPost):
    """Passes every call through, counting the history look-ups."""

    def __init__(self, inner):
        super().__init__(inner)
        self.finds = 0

    def post(self, *args, **kwargs):
        return self.inner.post(*args, **kwargs)

    def find(self, *args, **kwargs):
        self.finds += 1
        return self.inner.find(*args, **kwargs)


class UnrecordableFirst(Counting):
    """The first post's answer cannot be stored (a ts the database cannot take)."""

    def post(self, *args, **kwargs):
        channel, ts = self.inner.post(*args, **kwargs)
        if kwargs.get("key", args[4] if len(args) > 4 else None) == self.bad:
            return channel, object()
        return channel, ts


def rows(database) -> list[Alert]:
    with database.session() as db:
        return list(db.scalars(select(Alert).order_by(Alert.id)))


def test_a_crash_mid_batch_leaves_each_alert_posted_once(database, standin, clock):
    keys = raise_alerts(database, clock.now(), count=3)
    with pytest.raises(Killed):  # the first posted, the second posted then the process died
        deliver_due(
            database, CrashOnSecondPost(messenger(standin)), clock.now(), lease=timedelta(0)
        )
    report = deliver_due(database, messenger(standin), clock.now())
    assert report.adopted == 1 and report.posted == 1  # the second found; the third posted
    assert sorted(keys_in(standin)) == sorted(keys)
    assert all(row.ts and row.next_attempt_at is None for row in rows(database))


def test_alerts_a_batch_had_no_time_for_are_released_unmarked(database, standin, clock):
    """With no lease left after the first post, the rest are handed back as they were: not
    marked as posts started, so the next batch posts them without a look in the history."""
    raise_alerts(database, clock.now(), count=3)
    counted = Counting(messenger(standin))
    report = deliver_due(database, counted, clock.now(), lease=timedelta(0))
    assert report.posted == 3 and counted.finds == 0
    assert len(standin.posted(CHANNEL)) == 3
    assert all(row.lease_token is None and row.post_started_at is None for row in rows(database))


def test_an_alert_that_cannot_be_recorded_holds_back_none_of_the_others(database, standin, clock):
    keys = raise_alerts(database, clock.now(), count=3)
    bad = UnrecordableFirst(messenger(standin))
    bad.bad = keys[0]
    with pytest.raises(RuntimeError, match="recording a delivery failed"):
        deliver_due(database, bad, clock.now())
    by_key = {row.key: row for row in rows(database)}
    for key in keys[1:]:  # recorded, each in a transaction of its own
        assert by_key[key].ts and by_key[key].next_attempt_at is None
    stuck = by_key[keys[0]]  # still leased, its post marked as started: retried, looked for
    assert stuck.ts is None and stuck.lease_token and stuck.post_started_at
    with database.session() as db:  # its lease runs out
        db.get(Alert, stuck.id).leased_until = clock.now() - timedelta(days=400)
    counted = Counting(messenger(standin))
    assert deliver_due(database, counted, clock.now()).adopted == 1 and counted.finds == 1
    assert sorted(keys_in(standin)) == sorted(keys)


def test_a_flush_costs_the_same_statements_for_a_few_alerts_or_a_batch(database, standin, clock):
    """Statements per flush do not grow with the alerts sent, up to a batch."""
    counts = []
    for count in (2, BATCH):
        raise_alerts(database, clock.now(), count=count)
        with counting(database.engine) as seen:
            assert deliver_due(database, messenger(standin), clock.now()).posted == count
        counts.append(len(seen))
        with database.session() as db:
            for row in db.scalars(select(Alert)):
                db.delete(row)
    assert counts[0] == counts[1], counts
