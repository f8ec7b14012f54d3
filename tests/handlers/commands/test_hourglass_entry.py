"""`/hourglass <name> …` is the short command `/<name> …` (issue 17 item 5): the same handler,
the same role check, the same reply, so a workspace where `/log` or `/ticket` collide can
install `/hourglass` alone. Over signed HTTP on both databases.

Each scenario runs twice in one app: through the short commands by one agent for `acme`,
through `/hourglass` by another agent for `globex` (set up alike), so neither run sees the
other's records; the replies must match once the customer, the agent and record ids are
named alike.
"""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.harness import AGENT, MANAGER, STRANGER

AGENT2 = "UAGENT002"
NAMES = {AGENT: "alex", AGENT2: "blair"}  # their Slack names, as the stand-in knows them

SCENARIOS = {
    "log": ["log 30m {c} 1on1 fixed the printer", "log list", "log undo"],
    "call": ["call 20m {c} Jo q=4 setup questions"],
    "book": ["book {c} 2026-11-25 10:00 1h", "book list {c}"],
    "timer": ["timer start {c} Jo", "timer status", "timer discard"],
    "balance": ["balance {c}"],
    "ticket": ["ticket open {c} priority Printer down", "ticket list {c}"],
}


@pytest.fixture
def two(acme):
    """acme (the `acme` fixture) and globex set up alike, and a second agent with a timezone."""
    acme.standin.add_user(AGENT2, "blair", "Europe/London")
    with acme.database.session() as db:
        factories.customer(
            db, acme.policy, "globex", channel="CGLOBEX1", team="CGLOBEXTM", now=acme.clock.now()
        )
        factories.role(db, AGENT2, "agent", now=acme.clock.now())
    return acme


def _alike(text: str, customer: str, user: str, channel: str, team: str) -> str:
    text = text.replace(customer, "CUSTOMER").replace(user, "USER")
    text = text.replace(NAMES[user], "NAME")
    text = text.replace(channel, "CHANNEL").replace(team, "TEAM")
    return re.sub(r"#\d+", "#N", text)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_hourglass_name_gives_the_short_commands_reply(two, name):
    for line in SCENARIOS[name]:
        short = two.command("/" + line.format(c="acme"), AGENT)
        long = two.command("/hourglass " + line.format(c="globex"), AGENT2)
        assert short.status == long.status == 200
        assert ":warning:" not in short.text and ":no_entry:" not in short.text, short.text
        assert _alike(long.text, "globex", AGENT2, "CGLOBEX1", "CGLOBEXTM") == _alike(
            short.text, "acme", AGENT, factories.ACME_CHANNEL, factories.ACME_TEAM
        )


def test_the_log_really_is_recorded_through_hourglass(acme):
    acme.command("/hourglass log 45m acme 1on1", AGENT)
    assert "45m" in acme.command("/log list", AGENT).text


@pytest.mark.parametrize(
    ("line", "user", "refusal"),
    [
        ("/hourglass log 30m acme", STRANGER, "only support agents and managers"),
        ("/hourglass balance acme", STRANGER, "only support agents and managers"),
        ("/hourglass call bill 1 training", AGENT, "Sorry, only"),
    ],
)
def test_the_short_commands_role_checks_hold_through_hourglass(acme, line, user, refusal):
    reply = acme.command(line, user)
    assert refusal in reply.text
    assert "nothing logged" in acme.command("/log list", AGENT).text


def test_a_mistake_shows_the_usage_as_typed(acme):
    reply = acme.command("/hourglass log 30m", AGENT)
    assert reply.text.startswith(":warning:")
    assert "Usage: `/hourglass log <duration> <customer>" in reply.text
    # The short command keeps its own usage line.
    assert "Usage: `/log <duration> <customer>" in acme.command("/log 30m", AGENT).text


def test_admin_subcommands_still_work(acme):
    assert (
        "Added customer *globex*"
        in acme.command("/hourglass customer add globex plan=lite", MANAGER).text
    )


def test_help_lists_every_command_under_hourglass(acme):
    text = acme.command("/hourglass help", AGENT).text
    for name in SCENARIOS:
        assert f"`/hourglass {name} …`" in text
