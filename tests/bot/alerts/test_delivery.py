"""Delivery that is effectively once as seen in the channel (issue 18 items 1 and 2).

A fencing lease per alert, posts carrying metadata with the alert's key, and a look in the
channel before posting again after an unknown outcome; against the real database (both
dialects) and the stand-in over real HTTP, with a client timeout shorter than the
stand-in's late answers.
"""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

import app as hourglass_app
from bot.alerts.delivery import CALL_TIMEOUT, FAILURE_CAP, backoff, deliver_due
from bot.alerts.outbox import raise_alert, update_alert
from bot.alerts.pacing import virtual
from bot.policy.loader import load_policy
from handlers.messenger import EVENT_TYPE, SlackMessenger
from store.models import Alert

CHANNEL = "CALERTS"


def messenger(standin, timeout: int = 30) -> SlackMessenger:
    client = hourglass_app.slack_client("xoxb-test", standin.base_url)
    client.timeout = timeout
    return SlackMessenger(client)


def raise_alerts(database, now, count=1, *, to=None):
    policy = replace(load_policy(), alert_channel=CHANNEL)
    keys = [f"block_expiring:{n}:7" for n in range(count)]
    with database.session() as db:
        for key in keys:
            raise_alert(
                db, policy, key=key, kind="block_expiring", customer=None, text="raised", now=now,
                to=to,
            )  # fmt: skip
    return keys


def alert(database, key="block_expiring:0:7") -> Alert:
    with database.session() as db:
        return db.scalar(select(Alert).where(Alert.key == key))


def keys_in(standin, channel=CHANNEL) -> list[str]:
    return [m.metadata["event_payload"]["key"] for m in standin.messages(channel) if m.metadata]


class Killed(BaseException):
    """The process is gone: nothing after this line of the deliverer runs."""


class CrashAfterPost:
    """A messenger whose process dies right after Slack accepted the post."""

    def __init__(self, inner):
        self.inner = inner

    def post(self, *args, **kwargs):
        self.inner.post(*args, **kwargs)
        raise Killed("kill -9")

    def update(self, *args, **kwargs):
        return self.inner.update(*args, **kwargs)

    def find(self, *args, **kwargs):
        return self.inner.find(*args, **kwargs)


class AnswerCutShort(CrashAfterPost):
    """Slack took the post, but its answer could not be read: not a DeliveryError (the
    SDK lets http.client's own exceptions through)."""

    def post(self, *args, **kwargs):
        self.inner.post(*args, **kwargs)
        raise http.client.IncompleteRead(b'{"ok": tr')


class LeaseTakenWhilePosting(CrashAfterPost):
    """While the post is out, another deliverer takes the row over (the lease ran out)."""

    def __init__(self, inner, database):
        super().__init__(inner)
        self.database = database

    def post(self, *args, **kwargs):
        posted = self.inner.post(*args, **kwargs)
        with self.database.session() as db:
            db.execute(update(Alert).values(lease_token="someone-else"))
        return posted


def test_every_post_carries_metadata_naming_the_alert_key(database, standin, clock):
    (key,) = raise_alerts(database, clock.now())
    assert deliver_due(database, messenger(standin), clock.now()).posted == 1
    (posted,) = standin.posted(CHANNEL)
    assert posted["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"key": key}}
    row = alert(database)
    assert row.lease_token is None and row.post_started_at is None and row.ts


def test_a_timeout_after_acceptance_is_adopted_not_posted_again(database, standin, clock):
    raise_alerts(database, clock.now())
    standin.answer_late(2.0)  # the message is in the channel; the 1 s client gives up
    report = deliver_due(database, messenger(standin, timeout=1), clock.now())
    assert report.failed == 1 and report.posted == 0
    row = alert(database)
    assert row.ts is None and row.post_started_at is not None and row.next_attempt_at
    standin.answer_on_time()
    clock.advance(timedelta(minutes=1))
    with database.session() as db:
        update_alert(db, row.key, state="resolved", text="resolved", now=clock.now())
    report = deliver_due(database, messenger(standin), clock.now())
    assert report.adopted == 1 and report.posted == 0
    (message,) = standin.messages(CHANNEL)
    assert message.text == "resolved"
    row = alert(database)
    assert row.ts == message.ts and row.next_attempt_at is None and row.post_started_at is None


def test_a_hung_post_holds_the_outbox_for_its_own_timeout_not_the_clients(database, standin, clock):
    """Issue 12: one hung call stalled the whole outbox for the client's 30 s. The outbox's
    calls give up after their own timeout (CALL_TIMEOUT; 1 s here), the post is an unknown
    outcome, and the next attempt finds it by its metadata instead of posting again."""
    client = hourglass_app.slack_client("xoxb-test", standin.base_url)
    assert client.timeout == 30  # the app's client waits the SDK's 30 s
    assert SlackMessenger(client).poster.timeout == CALL_TIMEOUT.total_seconds() < 30
    raise_alerts(database, clock.now(), count=2)
    standin.answer_late(3.0)  # done at once, answered after 3 s: the 30 s client would hear it
    report = deliver_due(database, SlackMessenger(client, timeout=1), clock.now(), limit=1)
    assert report.failed == 1 and report.posted == 0
    assert "network" in report.errors[0]
    standin.answer_on_time()
    clock.advance(timedelta(minutes=1))
    report = deliver_due(database, SlackMessenger(client, timeout=1), clock.now())
    assert report.adopted == 1 and report.posted == 1
    assert sorted(Counter(keys_in(standin)).values()) == [1, 1]


def test_a_crash_after_the_post_leaves_one_message(database, standin, clock):
    raise_alerts(database, clock.now())
    with pytest.raises(Killed):  # posted, nothing recorded, and the lease runs out
        deliver_due(database, CrashAfterPost(messenger(standin)), clock.now(), lease=timedelta(0))
    assert alert(database).ts is None
    report = deliver_due(database, messenger(standin), clock.now())
    assert report.adopted == 1 and report.posted == 0
    assert len(standin.messages(CHANNEL)) == 1
    assert alert(database).ts == standin.messages(CHANNEL)[0].ts


def test_an_answer_that_cannot_be_read_is_an_unknown_outcome_not_a_stopped_sweep(
    database, standin, clock
):
    """A messenger raising something other than DeliveryError: the attempt is recorded as
    failed with its reason (shown to managers), the lease let go, the rest of the batch still
    tried; and the next attempt looks in the channel before posting again."""
    keys = raise_alerts(database, clock.now(), count=2)
    report = deliver_due(database, AnswerCutShort(messenger(standin)), clock.now())
    assert report.failed == 2 and report.posted == 0
    for key in keys:
        row = alert(database, key)
        assert row.lease_token is None and row.post_started_at is not None
        assert "IncompleteRead" in row.last_error and row.next_attempt_at and row.failing_since
    clock.advance(timedelta(minutes=1))
    report = deliver_due(database, messenger(standin), clock.now())
    assert report.adopted == 2 and report.posted == 0
    assert len(standin.posted(CHANNEL)) == 2 and sorted(keys_in(standin)) == sorted(keys)


def test_a_long_rate_limit_is_left_to_the_outbox_not_waited_out_holding_the_lease(
    database, standin, clock
):
    """A 429 asking for 90 s is not slept through inside the post (longer sleeps than the
    lease let another clock take the row and post too): the attempt fails at once, nothing
    was accepted, and the outbox posts it once when the 90 s are over, not before."""
    raise_alerts(database, clock.now())
    standin.fail_next("chat.postMessage", status=429, retry_after=90)
    pace = virtual(clock)
    report = deliver_due(database, messenger(standin), clock.now(), pace=pace)
    assert report.failed == 1 and report.posted == 0
    row = alert(database)
    assert row.last_error == "ratelimited" and row.post_started_at is None  # not accepted
    assert row.next_attempt_at == clock.now() + timedelta(seconds=90)
    clock.advance(timedelta(minutes=1))
    assert deliver_due(database, messenger(standin), clock.now(), pace=pace).posted == 0
    clock.advance(timedelta(seconds=30))
    report = deliver_due(database, messenger(standin), clock.now(), pace=pace)
    assert report.posted == 1 and report.adopted == 0
    assert len(standin.messages(CHANNEL)) == 1 and len(standin.posted(CHANNEL)) == 2


class ChangedWhileEditing(CrashAfterPost):
    """While the edit is out, `change` runs: another transaction moves the alert on."""

    def __init__(self, inner, change):
        super().__init__(inner)
        self.change = change

    def update(self, *args, **kwargs):
        self.inner.update(*args, **kwargs)
        self.change()


def test_a_state_change_by_a_transaction_that_read_the_alert_earlier_is_delivered(
    database, standin, clock
):
    """Two state changes at once on Postgres: one commits and its edit goes out; the other,
    which read the alert before the first committed, commits while that edit is in flight.
    Its state is the final one, so it must be edited in too, not counted as delivered."""
    if database.dialect == "sqlite":
        pytest.skip("SQLite runs one writing transaction at a time: nothing reads stale")
    (key,) = raise_alerts(database, clock.now())
    deliver_due(database, messenger(standin), clock.now())
    late = database._sessions()
    try:
        seen = alert_in(late, key)  # read (and kept) before the first change commits
        assert seen.state == "raised"
        with database.session() as db:
            update_alert(db, key, state="low", text="first change", now=clock.now())

        def second_change() -> None:
            update_alert(late, key, state="resolved", text="final state", now=clock.now())
            late.commit()

        changed = ChangedWhileEditing(messenger(standin), second_change)
        deliver_due(database, changed, clock.now())
    finally:
        late.close()
    deliver_due(database, messenger(standin), clock.now())
    (message,) = standin.messages(CHANNEL)
    assert message.text == "final state"
    row = alert(database, key)
    assert row.text == "final state" and row.delivered_version == row.version


def test_a_post_refused_where_history_could_not_be_read_is_still_looked_for_later(
    database, standin, clock
):
    """The app is taken out of a private channel after a post there timed out: history
    cannot be read and the new post is refused. That refusal does not prove the first post
    is not there, so once the app is back the next state change adopts it."""
    standin.add_channel("GPRIV001", "escalations", private=True, member=True)
    (key,) = raise_alerts(database, clock.now())
    with database.session() as db:
        db.execute(update(Alert).values(channel="GPRIV001"))
    standin.answer_late(2.0)
    deliver_due(database, messenger(standin, timeout=1), clock.now())
    standin.answer_on_time()
    standin.channel("GPRIV001").is_member = False
    clock.advance(timedelta(minutes=1))
    assert deliver_due(database, messenger(standin), clock.now()).failed == 1
    row = alert(database, key)
    assert row.last_error == "channel_not_found" and row.next_attempt_at is None  # parked
    assert row.post_started_at is not None  # the first post may still be there
    standin.channel("GPRIV001").is_member = True
    with database.session() as db:
        update_alert(db, key, state="resolved", text="resolved", now=clock.now())
    assert deliver_due(database, messenger(standin), clock.now()).adopted == 1
    (message,) = standin.messages("GPRIV001")
    assert message.text == "resolved"


@pytest.mark.parametrize("refusal", ["is_archived", "is_inactive", "edit_window_closed"])
def test_an_edit_refused_for_good_is_parked_with_its_reason(database, standin, clock, refusal):
    """The alert's channel was archived after its message went out: the edit is refused
    for good, so it is parked (and listed for managers), not retried every 15 minutes."""
    (key,) = raise_alerts(database, clock.now())
    deliver_due(database, messenger(standin), clock.now())
    with database.session() as db:
        update_alert(db, key, state="resolved", text="resolved", now=clock.now())
    standin.fail_next("chat.update", refusal)
    assert deliver_due(database, messenger(standin), clock.now()).failed == 1
    row = alert(database, key)
    assert row.last_error == refusal and row.next_attempt_at is None and row.ts
    assert len(standin.posted(CHANNEL)) == 1


def alert_in(db, key) -> Alert:
    return db.scalar(select(Alert).where(Alert.key == key))


def test_a_lost_lease_discards_the_result_and_the_next_holder_reconciles(database, standin, clock):
    raise_alerts(database, clock.now())
    report = deliver_due(
        database, LeaseTakenWhilePosting(messenger(standin), database), clock.now()
    )
    assert report.discarded == 1 and report.posted == 0
    row = alert(database)
    assert row.ts is None and row.lease_token == "someone-else"  # nothing of ours was written
    with database.session() as db:  # the other holder died too: its lease runs out
        db.execute(update(Alert).values(leased_until=clock.now() - timedelta(days=400)))
    report = deliver_due(database, messenger(standin), clock.now())
    assert report.adopted == 1
    assert len(standin.posted(CHANNEL)) == 1 and len(standin.messages(CHANNEL)) == 1


def test_a_live_lease_is_not_taken_even_by_a_clock_hours_ahead(database, standin, clock):
    raise_alerts(database, clock.now())
    with pytest.raises(Killed):
        deliver_due(database, CrashAfterPost(messenger(standin)), clock.now())
    # Leases run on the database's clock: a sweep `--at` three hours on does not steal it.
    later = clock.now() + timedelta(hours=3)
    assert deliver_due(database, messenger(standin), later).adopted == 0
    assert len(standin.posted(CHANNEL)) == 1


def test_a_reply_in_a_thread_is_found_among_the_replies(database, standin, clock):
    raise_alerts(database, clock.now())
    parent = messenger(standin).post(CHANNEL, "the ticket", None)[1]
    with database.session() as db:
        db.execute(update(Alert).values(thread_ts=parent))
    standin.answer_late(2.0)
    deliver_due(database, messenger(standin, timeout=1), clock.now())
    standin.answer_on_time()
    clock.advance(timedelta(minutes=1))
    assert deliver_due(database, messenger(standin), clock.now()).adopted == 1
    assert len(standin.posted(CHANNEL)) == 2  # the parent and one reply


def test_a_direct_message_is_found_in_the_im(database, standin, clock):
    raise_alerts(database, clock.now(), to="UAGENT001")
    standin.answer_late(2.0)
    deliver_due(database, messenger(standin, timeout=1), clock.now())
    standin.answer_on_time()
    clock.advance(timedelta(minutes=1))
    assert deliver_due(database, messenger(standin), clock.now()).adopted == 1
    assert len(standin.messages("DAGENT001")) == 1


def test_back_off_doubles_to_a_cap_and_never_gives_up():
    """A transient failure is retried after 2 s (it was 30 s: the chaos run's alerts waited
    that long after a single 500), then ever less often up to the cap."""
    assert backoff(1) == timedelta(seconds=2)
    assert backoff(2) == timedelta(seconds=4)
    assert backoff(9) == timedelta(seconds=512)
    assert backoff(10) == FAILURE_CAP == timedelta(minutes=15)
    assert backoff(500) == FAILURE_CAP


@pytest.mark.slow
def test_two_deliverers_with_a_slow_slack_post_each_alert_once_with_its_final_text(
    database, standin, clock
):
    """Two deliverers at once, posts accepted but answered after the client's timeout, and
    leases shorter than a post: each alert is one message, its last edit the final text."""
    keys = raise_alerts(database, clock.now(), count=6)
    standin.answer_late(1.5)
    slow = [messenger(standin, timeout=1) for _ in range(2)]
    reports = []

    def deliver(each) -> None:
        reports.append(deliver_due(database, each, clock.now(), lease=timedelta(seconds=0.5)))

    def both_deliver() -> None:
        threads = [threading.Thread(target=deliver, args=(each,)) for each in slow]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    both_deliver()
    with database.session() as db:
        for key in keys:
            update_alert(db, key, state="resolved", text=f"{key} resolved", now=clock.now())
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        both_deliver()
    standin.answer_on_time()
    clock.advance(timedelta(minutes=1))
    both_deliver()
    assert sorted(keys_in(standin)) == sorted(keys)  # one message per alert
    # Every first post timed out: each was found in the channel and adopted, never reposted.
    assert sum(r.adopted for r in reports) >= len(keys)
    for message in standin.messages(CHANNEL):
        assert message.text == f"{message.metadata['event_payload']['key']} resolved"
    with database.session() as db:
        rows = db.scalars(select(Alert)).all()
    assert all(row.next_attempt_at is None and row.ts for row in rows)
