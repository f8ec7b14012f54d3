"""A new clock leader cuts the leases its dead predecessor held (bot.alerts.delivery.take_over)
to TAKEOVER_GRACE, so the alert it was delivering waits seconds, not the full LEASE; the
fencing token stays, so the old holder's late result is still discarded. SQLite and Postgres."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from bot.alerts.delivery import (
    CALL_TIMEOUT,
    IN_FLIGHT,
    LEASE,
    LONGEST_CALL,
    TAKEOVER_GRACE,
    _lease_batch,
    take_over,
)
from bot.alerts.outbox import raise_alert
from bot.alerts.pacing import POST_INTERVAL, virtual
from store import leader
from store.models import Alert
from store.repositories.core import Alerts, database_time


def test_takeover_cuts_held_leases_to_the_grace(database, policy, clock):
    policy = replace(policy, alert_channel="CALERTS")
    with database.session() as db:
        for n in range(2):
            raise_alert(
                db, policy, key=f"block_expiring:{n}:7", kind="block_expiring", customer=None,
                text="raised", now=clock.now(),
            )  # fmt: skip
    pace = virtual(clock)
    (held,) = _lease_batch(database, clock.now(), LEASE, pace, None, 1).held  # the dead leader's
    assert take_over(database) == 1
    with database.session() as db:
        wall = database_time(db)
        row = db.get(Alert, held.id)
        assert row.lease_token == held.token  # still fenced
        assert wall < row.leased_until <= wall + TAKEOVER_GRACE
        free = db.scalar(select(Alert).where(Alert.id != held.id))
        assert free.lease_token is None
    assert take_over(database) == 0  # nothing held past the grace any more
    # once the grace has run out, the next deliverer takes the row with a new token and
    # the dead leader's token no longer holds it
    take_over(database, grace=timedelta(0))
    # the channel's next slot: its reservation held it while the dead leader's post might
    # be in flight (on the database's clock a takeover cuts that to the grace; this test's
    # pacing runs on its own fixed clock)
    clock.advance(POST_INTERVAL + IN_FLIGHT)
    (again,) = _lease_batch(database, clock.now(), LEASE, pace, None, 1).held
    assert again.id == held.id and again.token != held.token
    with database.session() as db:
        assert Alerts.held_batch(db, [held.id], held.token) == {}


def test_the_grace_outlasts_the_longest_call_a_cut_off_leader_can_have_in_flight():
    """TAKEOVER_GRACE plus the time the server takes to end a vanished peer's session
    (store/leader.py's keepalives) covers the longest outbox call (CALL_TIMEOUT, three
    attempts of an edit with the SDK's back-off), so no call of the old leader's is still in
    flight when another clock may take its row."""
    session_end = timedelta(
        seconds=leader.KEEPALIVE_IDLE + leader.KEEPALIVE_INTERVAL * leader.KEEPALIVE_COUNT
    )
    assert TAKEOVER_GRACE + session_end >= LONGEST_CALL == 3 * CALL_TIMEOUT + timedelta(seconds=3.5)
    assert TAKEOVER_GRACE < LEASE
