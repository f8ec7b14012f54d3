"""The query budget (issue 11 item 2): each everyday slash command, served over signed HTTP
in the common path (a known user whose role and time zone are cached, a customer with a
block), costs at most six SQL statements, on SQLite and on Postgres. Counted on the app's
engine by tests/statements.py: the gate's replay check, the command's transaction and the
work after the ack."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.customers import get_customer
from store.db import Database
from store.models import Booking, HourBlock
from tests import factories
from tests.harness import AGENT, MANAGER, SlackApp
from tests.statements import explain, statements_for

BUDGET = 6


CEILINGS = {  # statements today (SQLite / Postgres take the larger); issue 11's goal is 6
    # A balance derived anew (the first since a write to what it shows): bookings read per
    # section, the ledger rebuilt once, the forecast's trailing 8 weeks (+6, issue 13), and
    # the bookings' boundaries it is kept until (+1). Kept, it costs 3 (test_balance).
    "/balance acme": 40,
    "/log 30m acme": 19,  # the repeat check, the day cap, the receipt, the ledger, block_low
    "/timer stop": 8,
}


def under_ceiling(app, line: str) -> str:
    """A command still over `BUDGET` (issue 11 item 2 is open for it) must not get worse."""
    reply, statements = statements_for(app, line)
    ceiling = CEILINGS[line]
    assert len(statements) <= ceiling, (
        f"{line!r} cost {len(statements)} statements (today's ceiling {ceiling}, budget "
        f"{BUDGET}):\n{explain(statements)}"
    )
    return reply.text


@pytest.fixture
def warm(acme):
    """acme with a 10 h block, and the agent known: their first command cached their
    profile, time zone and role, as on any day after their first."""
    with acme.database.session() as db:
        customer = get_customer(db, "acme")
        factories.hour_block(db, acme.policy, customer, hours=10, now=acme.clock.now())
    acme.command("/ticket list", AGENT)
    return acme


def within_budget(app, line: str) -> str:
    reply, statements = statements_for(app, line)
    assert len(statements) <= BUDGET, (
        f"{line!r} cost {len(statements)} statements (budget {BUDGET}):\n{explain(statements)}"
    )
    return reply.text


def test_balance(warm):
    """The common path: nothing the balance shows has changed since it was last asked for
    (bot/reports/balance_cache.py): the gate, the role, the customer with its version."""
    first = under_ceiling(warm, "/balance acme")  # derived, then kept
    assert "Remaining: *10h*" in first
    assert within_budget(warm, "/balance acme") == first


def test_balance_after_a_write_is_derived_anew(warm):
    assert "Remaining: *10h*" in under_ceiling(warm, "/balance acme")
    warm.command("/log 30m acme", AGENT)
    assert "Remaining: *9h 30m*" in under_ceiling(warm, "/balance acme")


def test_log(warm):
    assert "Logged 30m" in under_ceiling(warm, "/log 30m acme")


def test_timer_start(warm):
    assert "Timer started" in within_budget(warm, "/timer start acme jane")


def test_timer_stop(warm):
    warm.command("/timer start acme jane", AGENT)
    warm.clock.advance(timedelta(minutes=5))
    assert "5m" in under_ceiling(warm, "/timer stop")


def test_ticket_open(warm):
    assert "Opened ticket" in within_budget(warm, "/ticket open acme low x")


def test_ticket_list(warm):
    warm.command("/ticket open acme low x", AGENT)
    assert "#1" in within_budget(warm, "/ticket list")


# --- caches across replicas (docs/architecture.md, Caches) ---------------------------------------


@pytest.fixture
def replica(warm, standin):
    """A second Hourglass on the same database, with its own engine and caches, as another
    gunicorn worker or replica is."""
    database = Database(warm.database.url)
    other = SlackApp(database, warm.policy, standin, warm.clock)
    yield other
    other.close()
    database.dispose()


def balance_of(app) -> str:
    return app.command("/balance acme", AGENT).text


def test_a_balance_kept_by_one_instance_follows_a_write_through_another(warm, replica):
    """The balance's version is in the database, bumped by its triggers in the writing
    transaction: the other instance's kept copy is stale as soon as the write commits."""
    assert "Remaining: *10h*" in balance_of(replica)
    _, kept = statements_for(replica, "/balance acme")
    assert len(kept) <= BUDGET  # served from the kept copy
    assert "Logged 30m" in warm.command("/log 30m acme", AGENT).text
    assert "Remaining: *9h 30m*" in balance_of(replica)
    assert "Undid" in warm.command("/log undo", AGENT).text
    assert "Remaining: *10h*" in balance_of(replica)


def test_a_kept_balance_follows_writes_made_outside_the_app(warm, replica):
    """A block added by a script (here: the factories' ORM session) and a statement issued
    change the version too: triggers, not application code, bump it."""
    assert "Remaining: *10h*" in balance_of(replica)
    with warm.database.session() as db:
        customer = get_customer(db, "acme")
        factories.hour_block(db, warm.policy, customer, hours=5, now=warm.clock.now())
    assert "Remaining: *15h*" in balance_of(replica)
    with warm.database.session() as db:
        db.execute(update(HourBlock).values(minutes=HourBlock.minutes * 2))
    assert "Remaining: *30h*" in balance_of(replica)


def test_a_kept_balance_ends_when_a_session_ends(warm):
    """A booked session bills once it has ended, with no write: the kept balance is kept
    only until the next booking boundary (and the provider's next midnight)."""
    local = warm.clock.now().astimezone(warm.policy.timezone)  # Friday 10:00 in London
    assert local.hour < 13
    booked = warm.command(f"/book acme {local:%Y-%m-%d} 15:00 90m", AGENT).text
    assert "#1" in booked  # ends 16:30 the same day: before the next midnight
    before = balance_of(warm)
    assert "Remaining: *10h*" in before and "Upcoming sessions:" in before
    assert balance_of(warm) == before  # kept
    with warm.database.session() as db:
        booking = db.get(Booking, 1)
        assert booking is not None
        end = booking.end_at
    warm.clock.set(end - timedelta(minutes=1))
    assert "Remaining: *10h*" in balance_of(warm)
    warm.clock.set(end + timedelta(minutes=1))
    after = balance_of(warm)
    assert "Remaining: *8h 30m*" in after and "No upcoming sessions." in after


def test_a_role_removed_through_one_instance_is_refused_at_once_by_another(warm, replica):
    assert "tickets" in replica.command("/ticket list", AGENT).text  # served: an agent
    removed = warm.command(f"/hourglass role remove <@{AGENT}>", MANAGER).text
    assert "agent" in removed
    refused = replica.command("/ticket list", AGENT).text
    assert "only support agents and managers can use Hourglass" in refused
    warm.command(f"/hourglass role add <@{AGENT}> agent", MANAGER)
    assert "tickets" in replica.command("/ticket list", AGENT).text


def test_a_time_zone_is_read_once_a_minute_per_process(warm):
    """The profile row is read by the first request of a minute, not by every one."""
    _, first = statements_for(warm, "/ticket list")
    assert not [s for s in first if "user_profiles" in s]
    warm.bolt.hourglass.profiles.clear()  # as after a minute
    _, again = statements_for(warm, "/ticket list")
    assert len([s for s in again if "user_profiles" in s]) == 1


def test_a_known_users_command_hands_nothing_to_after_the_ack(warm, standin):
    """Nothing to refresh (profile read this minute, under a day old): no work after the
    ack, so no thread hand-off per request. A day later the profile is refreshed after it."""
    later, handed = warm.bolt.hourglass.later, []
    run = later.run

    def counted(work, body, context):
        handed.append(body["command"])
        run(work, body, context)

    later.run = counted
    warm.command("/ticket list", AGENT)
    assert handed == []
    asked = len(standin.calls_to("users.info"))
    warm.clock.advance(timedelta(days=2))
    warm.command("/ticket list", AGENT)
    assert handed == ["/ticket"]
    assert len(standin.calls_to("users.info")) == asked + 1
