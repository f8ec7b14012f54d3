"""Slack's limits, respected by the outbox itself (issue 12 item 3): one post a second per
channel, a 429's Retry-After held for every clock, and refusals for good parked with their
reason without holding up other alerts. Real database (both dialects), the stand-in over real
HTTP, and the pacing on a fixed clock that waiting moves on (bot.alerts.pacing.virtual), so
nothing sleeps except where it says so.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

import app as hourglass_app
from bot.alerts.delivery import deliver_due
from bot.alerts.outbox import raise_alert, update_alert
from bot.alerts.pacing import POST_INTERVAL, Pace, token_reason, virtual
from bot.clock import SystemClock
from bot.policy.loader import load_policy
from handlers.messenger import PERMANENT, TOKEN_REFUSED, SlackMessenger
from store.db import Database
from store.models import Alert, SlackPacing
from tests.harness import MANAGER

BUSY, QUIET = "CBUSY001", "CQUIET01"


def messenger(standin) -> SlackMessenger:
    return SlackMessenger(hourglass_app.slack_client("xoxb-test", standin.base_url))


def raise_in(database, now, channel: str, count: int, prefix: str | None = None) -> list[str]:
    policy = replace(load_policy(), alert_channel=channel)
    keys = [f"{prefix or channel}:{n}" for n in range(count)]
    with database.session() as db:
        for key in keys:
            raise_alert(
                db, policy, key=key, kind="block_expiring", customer=None, text=key, now=now
            )
    return keys


def posted_keys(standin, channel: str) -> list[str]:
    return [m.metadata["event_payload"]["key"] for m in standin.messages(channel)]


def rows(database) -> list[Alert]:
    with database.session() as db:
        return list(db.scalars(select(Alert).order_by(Alert.id)))


def gaps(times) -> list[float]:
    return [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]


@pytest.fixture
def paced(standin, clock):
    """The stand-in stamps calls with the test's clock, which the pacing moves on."""
    standin.clock = clock.now
    return virtual(clock)


def test_a_burst_to_one_channel_is_paced_and_another_channel_does_not_wait(
    database, standin, clock, paced
):
    started = clock.now()
    busy = raise_in(database, started, BUSY, 10)
    (quiet,) = raise_in(database, started, QUIET, 1)  # raised last, due at the same instant
    report = deliver_due(database, messenger(standin), started, pace=paced)
    assert report.posted == 11 and report.failed == 0
    # The quiet channel's alert went at once, second of all, not after the burst's ten.
    order = [call.params["channel"] for call in standin.calls_to("chat.postMessage")]
    assert order[:2] == [BUSY, QUIET]
    assert standin.post_times(QUIET) == [started]
    # The ten went one a second, each exactly once, in the order they were raised.
    times = standin.post_times(BUSY)
    assert len(times) == 10 and all(gap >= 1 for gap in gaps(times))
    assert posted_keys(standin, BUSY) == busy and posted_keys(standin, QUIET) == [quiet]
    assert all(row.ts and row.next_attempt_at is None for row in rows(database))


def test_a_burst_longer_than_the_linger_is_left_queued_for_the_next_flush(database, standin, clock):
    standin.clock = clock.now
    short = virtual(clock, linger=timedelta(seconds=3))
    keys = raise_in(database, clock.now(), BUSY, 6)
    assert deliver_due(database, messenger(standin), clock.now(), pace=short).posted == 4
    waiting = [row.key for row in rows(database) if row.ts is None]
    assert waiting == keys[4:]  # queued, not dropped
    assert deliver_due(database, messenger(standin), clock.now(), pace=short).posted == 2
    assert posted_keys(standin, BUSY) == keys
    assert all(gap >= 1 for gap in gaps(standin.post_times(BUSY)))


def test_the_channel_slot_is_kept_in_the_database_for_another_clock(database, standin, clock):
    """A second clock (its own engine, as another process) at the same instant does not post
    in the channel the first just posted in; it posts elsewhere, and there a second later."""
    standin.clock = clock.now
    now = clock.now()
    first = raise_in(database, now, BUSY, 2)
    other = Database(database.url)
    try:
        at_once = Pace(clock=clock, wait=clock.advance, linger=timedelta(0))
        assert deliver_due(database, messenger(standin), now, limit=1, pace=at_once).posted == 1
        (quiet,) = raise_in(other, now, QUIET, 1)
        report = deliver_due(other, messenger(standin), now, pace=at_once)
        assert report.posted == 1 and posted_keys(standin, QUIET) == [quiet]
        assert posted_keys(standin, BUSY) == first[:1]
        with other.session() as db:
            slot = db.get(SlackPacing, ("channel", BUSY))
            assert slot is not None and slot.not_before == now + POST_INTERVAL
        clock.advance(POST_INTERVAL)
        assert deliver_due(other, messenger(standin), clock.now(), pace=at_once).posted == 1
        assert posted_keys(standin, BUSY) == first
    finally:
        other.dispose()


@pytest.mark.slow
def test_two_clocks_at_once_on_the_database_clock_post_one_a_second(database, standin):
    """Real time, the production pacing (the database's clock, real waits): two deliverers,
    each with its own engine, flush one channel's burst at the same moment. Every alert is
    posted once and the posts arrive a second apart (less what a post's own trip can shift)."""
    keys = raise_in(database, SystemClock().now(), BUSY, 5)
    engines = [Database(database.url) for _ in range(2)]
    reports = []

    def flush(engine) -> None:
        now = SystemClock().now()
        reports.append(deliver_due(engine, messenger(standin), now))

    try:
        threads = [threading.Thread(target=flush, args=(engine,)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for engine in engines:
            engine.dispose()
    assert sum(r.posted for r in reports) == 5 and sorted(posted_keys(standin, BUSY)) == keys
    assert all(gap >= 0.8 for gap in gaps(standin.post_times(BUSY)))


def test_retry_after_holds_posts_for_every_clock_but_not_edits(database, standin, clock, paced):
    now = clock.now()
    (edited,) = raise_in(database, now, QUIET, 1, prefix="edited")
    deliver_due(database, messenger(standin), now, pace=paced)  # posted: later only edited
    clock.advance(timedelta(seconds=5))
    (limited,) = raise_in(database, clock.now(), BUSY, 1)
    standin.fail_next("chat.postMessage", status=429, retry_after=30)
    report = deliver_due(database, messenger(standin), clock.now(), pace=paced)
    assert report.failed == 1 and report.posted == 0  # 30 s is past the linger: left queued
    held_from = clock.now()
    with database.session() as db:
        hold = db.get(SlackPacing, ("method", "chat.postMessage"))
        assert hold is not None and hold.reason == "429 Retry-After 30 s"
        assert hold.not_before == held_from + timedelta(seconds=30)
        row = db.scalar(select(Alert).where(Alert.key == limited))
        assert row.next_attempt_at == held_from + timedelta(seconds=30)
    # Another clock, 20 s on: a new alert in another channel waits too; an edit goes.
    other = Database(database.url)
    try:
        clock.advance(timedelta(seconds=20))
        raise_in(other, clock.now(), "CTHIRD01", 1)
        with other.session() as db:
            update_alert(db, edited, state="resolved", text="resolved", now=clock.now())
        calls = len(standin.calls_to("chat.postMessage"))
        at_once = Pace(clock=clock, wait=clock.advance, linger=timedelta(0))
        report = deliver_due(other, messenger(standin), clock.now(), pace=at_once)
        assert report.updated == 1 and report.posted == 0
        assert len(standin.calls_to("chat.postMessage")) == calls  # not even tried
        clock.advance(timedelta(seconds=10))
        assert deliver_due(other, messenger(standin), clock.now(), pace=at_once).posted == 2
    finally:
        other.dispose()
    assert posted_keys(standin, BUSY) == [limited]
    first, second = standin.post_times(BUSY)
    assert (second - first).total_seconds() >= 30


def test_retry_after_on_an_edit_holds_edits_and_posts_go_on(database, standin, clock, paced):
    (edited,) = raise_in(database, clock.now(), QUIET, 1, prefix="edited")
    deliver_due(database, messenger(standin), clock.now(), pace=paced)
    with database.session() as db:
        update_alert(db, edited, state="resolved", text="resolved", now=clock.now())
    standin.fail_next("chat.update", status=429, retry_after=60)
    (fresh,) = raise_in(database, clock.now(), BUSY, 1)
    report = deliver_due(database, messenger(standin), clock.now(), pace=paced)
    assert report.posted == 1 and report.failed == 1 and posted_keys(standin, BUSY) == [fresh]
    assert len(standin.calls_to("chat.update")) == 1
    clock.advance(timedelta(seconds=60))
    assert deliver_due(database, messenger(standin), clock.now(), pace=paced).updated == 1
    assert standin.messages(QUIET)[0].text == "resolved"


@pytest.mark.parametrize(
    "refusal", ["channel_not_found", "not_in_channel", "is_archived", "missing_scope"]
)
def test_a_refusal_for_good_is_parked_shown_to_managers_and_holds_up_nothing(
    slack, standin, clock, refusal
):
    """One alert refused for good among others to the same channel and another: it is parked
    with its reason (listed by `/hourglass alerts failed`, counted on App Home), never tried
    again, and the others are delivered in the same sweep."""
    refused, *rest = raise_in(slack.database, clock.now(), BUSY, 3)
    (other,) = raise_in(slack.database, clock.now(), QUIET, 1)
    standin.fail_next("chat.postMessage", refusal)
    report = slack.sweep()
    assert report.failed == 1 and report.posted == 3
    assert posted_keys(standin, BUSY) == rest and posted_keys(standin, QUIET) == [other]
    with slack.database.session() as db:
        row = db.scalar(select(Alert).where(Alert.key == refused))
        assert row.next_attempt_at is None and row.last_error == refusal and row.ts is None
    clock.advance(timedelta(days=1))
    slack.sweep()
    assert len(standin.calls_to("chat.postMessage")) == 4  # never tried again
    reply = slack.command("/hourglass alerts failed", MANAGER)
    assert "1 problem with alerts" in reply.text
    assert f"in <#{BUSY}> not delivered: `{refusal}` after 1 attempt" in reply.text
    slack.event({"type": "app_home_opened", "user": MANAGER, "tab": "home"})
    view = standin.calls_to("views.publish")[-1].params["view"]
    assert "*1 alert problem*" in view["blocks"][0]["text"]["text"]


@pytest.mark.parametrize("refusal", sorted(TOKEN_REFUSED))
def test_a_refused_token_parks_every_waiting_alert_with_one_call_until_a_post_works(
    slack, standin, clock, refusal
):
    """Every call with a refused token would be refused alike: the first refusal parks all
    waiting alerts with one reason (one call, not one per alert), listed for managers; once a
    post works again (a new token), they are delivered after all, each once."""
    waiting = raise_in(slack.database, clock.now(), BUSY, 4) + raise_in(
        slack.database, clock.now(), QUIET, 2
    )
    standin.fail_next("chat.postMessage", refusal)
    report = slack.sweep()
    assert report.failed == 1 and report.posted == 0
    assert len(standin.calls_to("chat.postMessage")) == 1
    reason = token_reason(refusal)
    assert all(r.next_attempt_at is None and r.last_error == reason for r in rows(slack.database))
    reply = slack.command("/hourglass alerts failed", MANAGER)
    assert "6 problems with alerts" in reply.text
    assert reply.text.count(f"`{reason}` after 1 attempt") == 1  # the one that met it
    assert reply.text.count(f"`{reason}` not tried") == 5  # parked with it, no call each
    clock.advance(timedelta(hours=1))
    assert slack.sweep().posted == 0  # parked: nothing is tried
    (fresh,) = raise_in(slack.database, clock.now(), "CTHIRD01", 1)
    assert slack.sweep().posted == 1  # the token works again
    assert slack.sweep().posted == len(waiting)
    assert sorted(posted_keys(standin, BUSY) + posted_keys(standin, QUIET)) == sorted(waiting)
    assert all(r.ts and r.last_error is None for r in rows(slack.database))
    assert "Every alert was delivered" in slack.command("/hourglass alerts failed", MANAGER).text


def test_the_refusals_the_issue_names_are_permanent():
    assert {"channel_not_found", "not_in_channel", "is_archived", "invalid_auth"} <= PERMANENT
    assert {"ratelimited", "internal_error", "service_unavailable"}.isdisjoint(PERMANENT)


def test_a_breach_is_not_kept_waiting_behind_a_burst_in_its_channel(
    database, standin, clock, paced
):
    """Slack's one post a second queues a burst; an SLA breach raised after it goes first."""
    started = clock.now()
    burst = raise_in(database, started, BUSY, 5)
    policy = replace(load_policy(), alert_channel=BUSY)
    with database.session() as db:
        raise_alert(
            db, policy, key="sla:42", kind="sla_breach", customer=None, text="breached",
            now=started + timedelta(seconds=1),
        )  # fmt: skip
    clock.advance(timedelta(seconds=1))
    report = deliver_due(database, messenger(standin), clock.now(), pace=paced)
    assert report.posted == 6 and report.failed == 0
    assert posted_keys(standin, BUSY) == ["sla:42", *burst]
    assert standin.post_times(BUSY)[0] == started + timedelta(seconds=1)  # at once


def test_in_a_queued_channel_breaches_go_before_older_escalations_and_warnings(
    database, standin, clock, paced
):
    """Under a storm the SLA's own alerts queue too: a breach goes before escalations and
    warnings raised before it, escalations before warnings, then the rest; oldest first
    within each kind."""
    started = clock.now()
    policy = replace(load_policy(), alert_channel=BUSY)
    raised = [
        ("booking:1", "booking_cancelled"),
        ("warn:1", "sla_warning"),
        ("esc:1", "sla_escalation"),
        ("esc:2", "sla_escalation"),
        ("breach:1", "sla_breach"),
        ("warn:2", "sla_warning"),
        ("breach:2", "sla_breach"),
    ]
    with database.session() as db:
        for n, (key, kind) in enumerate(raised):
            raise_alert(
                db, policy, key=key, kind=kind, customer=None, text=key,
                now=started + timedelta(milliseconds=n),
            )  # fmt: skip
    clock.advance(timedelta(seconds=1))
    report = deliver_due(database, messenger(standin), clock.now(), pace=paced)
    assert report.posted == len(raised) and report.failed == 0
    assert posted_keys(standin, BUSY) == [
        "breach:1", "breach:2", "esc:1", "esc:2", "warn:1", "warn:2", "booking:1",
    ]  # fmt: skip


def test_a_breach_slack_refused_once_goes_before_the_breaches_raised_while_it_backed_off(
    database, standin, clock, paced
):
    """Issue 12: a breach whose post failed waited out its back-off and then, ordered by
    when it was due again, queued behind every breach raised meanwhile in its channel (20 s
    in the chaos run). Oldest first means by when it first failed."""
    started = clock.now()
    policy = replace(load_policy(), alert_channel=BUSY)
    with database.session() as db:
        raise_alert(
            db, policy, key="breach:1", kind="sla_breach", customer=None, text="breach:1",
            now=started,
        )  # fmt: skip
    standin.fail_next("chat.postMessage", status=500)
    report = deliver_due(database, messenger(standin), clock.now(), pace=paced)
    assert report.failed == 1
    clock.advance(timedelta(seconds=1))
    with database.session() as db:
        raise_alert(
            db, policy, key="breach:2", kind="sla_breach", customer=None, text="breach:2",
            now=clock.now(),
        )  # fmt: skip
    clock.advance(timedelta(seconds=5))  # past breach:1's back-off
    report = deliver_due(database, messenger(standin), clock.now(), pace=paced)
    assert report.posted == 2 and report.failed == 0
    assert posted_keys(standin, BUSY) == ["breach:1", "breach:2"]


class HeldPost:
    """A messenger whose first post waits until the test lets it go."""

    def __init__(self, inner):
        self.inner = inner
        self.sending = threading.Event()
        self.go = threading.Event()

    def post(self, *args, **kwargs):
        if not self.sending.is_set():
            self.sending.set()
            assert self.go.wait(30)
        return self.inner.post(*args, **kwargs)

    def update(self, *args, **kwargs):
        return self.inner.update(*args, **kwargs)

    def find(self, *args, **kwargs):
        return self.inner.find(*args, **kwargs)


def test_a_channel_waits_while_its_post_is_in_flight(database, standin, clock, paced):
    """Two flushes at once (the clock runs several): while one's post to a channel is still
    on its way (past POST_INTERVAL, within IN_FLIGHT), the other does not post there; once
    it is recorded, the next post there waits POST_INTERVAL from then. Before, the slot was
    held for POST_INTERVAL from the lease only, and two posts landed 3 ms apart
    (tests/test_clocks_race.py)."""
    first, second = raise_in(database, clock.now(), BUSY, 2)
    held = HeldPost(messenger(standin))
    flushing = threading.Thread(
        target=deliver_due, args=(database, held, clock.now()), kwargs={"pace": paced, "limit": 1}
    )
    flushing.start()
    try:
        assert held.sending.wait(30)
        clock.advance(2 * POST_INTERVAL)  # the slot taken at the lease would have ended
        other = Pace(clock=clock, wait=lambda _: None, linger=timedelta(0))
        assert deliver_due(database, messenger(standin), clock.now(), pace=other).posted == 0
    finally:
        held.go.set()
        flushing.join()
    assert posted_keys(standin, BUSY) == [first]
    recorded = clock.now()
    assert deliver_due(database, messenger(standin), clock.now(), pace=other).posted == 0
    clock.advance(POST_INTERVAL)
    assert deliver_due(database, messenger(standin), clock.now(), pace=paced).posted == 1
    assert posted_keys(standin, BUSY) == [first, second]
    assert clock.now() >= recorded + POST_INTERVAL
