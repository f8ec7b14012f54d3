"""Issue 17, item 1: every request is acknowledged within Slack's 3 seconds, even when
Slack answers every Web API call with `429 Retry-After: 5`; the work is done exactly once;
a command sent meanwhile is not slowed (no Slack call is made inside a transaction, so
nobody waits on a lock held across a retry); and a new user's first two commands at once
make one profile row (an upsert, not check-then-insert). Over signed HTTP, on SQLite and
on Postgres."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import func, select

from bot import roles
from handlers.common import WORKING
from store.models import PhoneCall, Ticket, TimeEntry, UserProfile
from tests.handlers.commands.test_calls import run_together
from tests.harness import AGENT, MANAGER, Reply

ACK_BUDGET = 3.0  # seconds: Slack shows a timeout after this

COMMANDS = [
    ("/log 30m acme", AGENT),
    ("/balance acme", AGENT),
    ("/hourglass report acme", MANAGER),
    ("/call 10m acme jane", AGENT),
    ("/ticket open acme low Please rotate our API key", AGENT),
]


def count(database, model, *where) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def answer(slack, reply: Reply) -> str:
    """What the user saw: the ack itself, or the answer that followed it."""
    if reply.acked.get("text") != WORKING:
        return reply.acked.get("text", "")
    (followed,) = slack.standin.responses_to[reply.key]
    return followed["text"]


def test_every_command_acks_within_3s_while_slack_rate_limits_every_call(slack, caplog):
    assert (
        "Added customer"
        in slack.command("/hourglass customer add acme plan=professional", MANAGER).text
    )
    slack.standin.rate_limit(retry_after=5)
    replies = run_together(*[lambda c=c, u=u: slack.command(c, u, wait=False) for c, u in COMMANDS])
    slow = {c: round(r.seconds, 2) for (c, _), r in zip(COMMANDS, replies, strict=True)}
    assert all(r.status == 200 for r in replies)
    assert max(slow.values()) < ACK_BUDGET, slow
    # Slack still says "wait 5 s" to every retry the app is making after the acks; then it
    # recovers, and everything that was waiting finishes.
    slack.standin.lift_rate_limit()
    slack.bolt.hourglass.later.drain()
    log, balance, report, call, ticket = (answer(slack, r) for r in replies)
    assert log.startswith(":white_check_mark: Logged 30m")
    assert balance.startswith("*acme*")
    assert report.startswith("Statement for acme")
    assert "acme" in call and call.startswith(":white_check_mark:")
    assert "Opened ticket" in ticket or ticket.startswith(":ticket:"), ticket
    # Exactly once: one entry, one call, one ticket, one CSV.
    assert count(slack.database, TimeEntry) == 1
    assert count(slack.database, PhoneCall) == 1
    assert count(slack.database, Ticket) == 1
    assert len(slack.standin.calls_to("files.completeUploadExternal")) == 1
    assert "CSV sent to you" in slack.standin.responses_to[replies[2].key][-1]["text"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_command_is_not_slowed_by_another_waiting_on_slack(slack):
    """The issue's case: users.info rate-limited for a new user's /call, and an unrelated
    /balance sent meanwhile (it took 5.17 s on SQLite while the other held the lock)."""
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    slack.standin.rate_limit(retry_after=5, methods=["users.info"])
    first = slack.command("/call 10m acme jane", wait=False)
    balance = slack.command("/balance acme", MANAGER, wait=False)
    assert first.seconds < ACK_BUDGET and first.acked["text"] == WORKING
    assert balance.seconds < ACK_BUDGET, balance.seconds  # not the 5 s the other waits
    assert balance.acked["text"].startswith("*acme*")
    slack.standin.lift_rate_limit()
    slack.bolt.hourglass.later.drain()
    assert answer(slack, first).startswith(":white_check_mark:")
    assert count(slack.database, PhoneCall) == 1


def test_a_new_users_first_two_commands_at_once_make_one_profile(slack, caplog):
    newcomer = "UNEWBIE01"
    slack.standin.add_user(newcomer, "nova", "Pacific/Auckland")
    with slack.database.session() as db:
        roles.grant(db, newcomer, "agent", MANAGER, slack.clock.now())
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    both_asking = threading.Barrier(2)

    def hold_users_info(call) -> None:  # both lookups in flight, then both write at once
        if call.method == "users.info" and call.params.get("user") == newcomer:
            both_asking.wait(timeout=5)

    slack.standin.on_call = hold_users_info
    replies = run_together(
        lambda: slack.command("/call 5m acme jane", newcomer),
        lambda: slack.command("/call 6m acme bob", newcomer),
    )
    assert all(r.text.startswith(":white_check_mark:") for r in replies), [r.text for r in replies]
    assert count(slack.database, UserProfile, UserProfile.user_id == newcomer) == 1
    assert count(slack.database, PhoneCall) == 2
    with slack.database.session() as db:
        assert db.get(UserProfile, newcomer).tz == "Pacific/Auckland"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
