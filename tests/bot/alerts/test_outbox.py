"""The alert outbox: once per key, updated in place, retried with back-off."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.alerts.outbox import NOWHERE, raise_alert, update_alert
from bot.policy.loader import load_policy
from store.models import Alert


def raise_test_alert(database, now, key="block_expiring:1:7", channel="CALERTS"):
    """An alert with no customer: it goes to the provider's alert channel, `channel`."""
    policy = replace(load_policy(), alert_channel=channel or None)
    with database.session() as db:
        return raise_alert(
            db, policy, key=key, kind="block_expiring", customer=None, text="7 days left", now=now
        )


def test_a_key_is_posted_once_however_often_the_sweep_runs(slack, standin, clock):
    assert raise_test_alert(slack.database, clock.now()) is True
    assert raise_test_alert(slack.database, clock.now()) is False  # same key: nothing new
    for _ in range(4):
        slack.sweep()
        clock.advance(timedelta(minutes=5))
    posted = standin.posted("CALERTS")
    assert [p["text"] for p in posted] == ["7 days left"]
    with slack.database.session() as db:
        alert = db.scalar(select(Alert))
        assert alert.ts and alert.next_attempt_at is None and alert.delivered_version == 1


def test_a_state_change_edits_the_posted_message_in_place(slack, standin, clock):
    raise_test_alert(slack.database, clock.now())
    slack.sweep()
    with slack.database.session() as db:
        assert update_alert(
            db, "block_expiring:1:7", state="acknowledged", text="ack'd", now=clock.now()
        )
        assert not update_alert(
            db, "block_expiring:1:7", state="acknowledged", text="x", now=clock.now()
        )
    slack.sweep()
    slack.sweep()
    assert len(standin.posted()) == 1
    (update,) = standin.updated("CALERTS")
    with slack.database.session() as db:
        posted_ts = db.scalar(select(Alert.ts))
    assert update["text"] == "ack'd"
    assert update["ts"] == posted_ts


def test_failed_delivery_is_retried_with_back_off(slack, standin, clock):
    raise_test_alert(slack.database, clock.now())
    standin.fail_next("chat.postMessage", "internal_error")
    report = slack.sweep()
    assert report.failed == 1 and report.posted == 0
    with slack.database.session() as db:
        alert = db.scalar(select(Alert))
        assert alert.attempts == 1 and alert.last_error == "internal_error"
        assert alert.next_attempt_at == clock.now() + timedelta(seconds=2)  # FIRST_BACKOFF
    # The next flush waits the 2 s out (within its linger, on the pacing's clock), then posts.
    assert slack.sweep().posted == 1
    first, second = standin.calls_to("chat.postMessage")
    assert second.at - first.at >= timedelta(seconds=2)


def test_a_breach_whose_first_post_got_a_500_is_posted_seconds_later(slack, standin, clock):
    """Issue 12: after a 5xx the next attempt came 30 s later, so a breach met by one was
    30 s late (the chaos run's goal is 3 sweep intervals). It is tried again 2 s on: looked
    for in the channel first (a 500 does not say whether Slack posted it), then posted, once."""
    policy = replace(load_policy(), alert_channel="CALERTS")
    with slack.database.session() as db:
        raise_alert(
            db, policy, key="sla:1:breach", kind="sla_breach", customer=None,
            text="SLA breached", now=clock.now(),
        )  # fmt: skip
    standin.fail_next("chat.postMessage", status=500)
    assert slack.sweep().failed == 1
    clock.advance(timedelta(seconds=2))
    assert slack.sweep().posted == 1
    methods = [call.method for call in standin.calls if call.method != "auth.test"]
    assert methods[0] == methods[-1] == "chat.postMessage" and methods.count(methods[0]) == 2
    assert "conversations.history" in methods[1:-1]  # looked for before posting again
    assert [m.text for m in standin.messages("CALERTS")] == ["SLA breached"]  # once


def test_a_short_rate_limit_is_waited_out_by_the_outbox_within_the_sweep(slack, standin, clock):
    """Not by the SDK inside the call: the outbox records the Retry-After and, as it is
    short, waits it out itself (bot.alerts.pacing) and posts in the same sweep."""
    raise_test_alert(slack.database, clock.now())
    standin.fail_next("chat.postMessage", status=429, retry_after=1)
    report = slack.sweep()
    assert report.posted == 1 and report.failed == 1
    first, second = standin.calls_to("chat.postMessage")
    assert (second.at - first.at).total_seconds() >= 1


def test_permanent_errors_stop_retrying(slack, standin, clock):
    raise_test_alert(slack.database, clock.now())
    standin.fail_next("chat.postMessage", "channel_not_found")
    slack.sweep()
    with slack.database.session() as db:
        alert = db.scalar(select(Alert))
        assert alert.next_attempt_at is None and alert.last_error == "channel_not_found"


def test_an_alert_without_a_channel_is_kept_but_not_sent(slack, standin, clock):
    raise_test_alert(slack.database, clock.now(), channel="")
    slack.sweep()
    assert standin.posted() == []
    with slack.database.session() as db:
        assert db.scalar(select(Alert.last_error)) == NOWHERE


def test_raise_alert_is_part_of_the_callers_transaction(database, clock):
    now = clock.now()
    try:
        with database.session() as db:
            raise_alert(
                db, load_policy(), key="k", kind="long_call", customer=None, text="t", now=now
            )
            raise RuntimeError("the change that caused it failed")
    except RuntimeError:
        pass
    with database.session() as db:
        assert db.scalar(select(Alert)) is None


@pytest.mark.slow  # issue 18's proof: transactions at once
def test_one_key_raised_by_four_transactions_at_once_is_one_alert(database, clock):
    """INSERT … ON CONFLICT DO NOTHING on the unique key: on Postgres the later inserts wait
    for the first to commit and then add nothing; exactly one of them says it was new."""
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def raise_it() -> None:
        barrier.wait()
        results.append(raise_test_alert(database, clock.now()))

    threads = [threading.Thread(target=raise_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False, False, False, True]
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Alert)) == 1
