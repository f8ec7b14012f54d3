"""Issue 19 leftovers, over signed HTTP on both databases: a ticket's dates outside the
current year show their year (item 3), SLA durations read in whole minutes like every other
duration, adding up as shown (item 9), a used-up balance reads "no prepaid hours left", and
`/hourglass help` lists every correction."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.blocks import SECTION_LIMIT
from tests import factories
from tests.handlers.commands.test_tickets import alerts
from tests.harness import AGENT, MANAGER

SECONDS = re.compile(r"\b\d+s\b")  # `30s`, `1h 2m 3s`: only a running timer shows seconds


def test_a_ticket_from_december_read_in_january_shows_its_year(acme, clock):
    clock.set(datetime(2026, 12, 30, 9, 0, tzinfo=UTC))  # a Wednesday
    opened = acme.command("/ticket open acme immediate Down", AGENT).text
    assert "Opened Wed 30 Dec 09:00 GMT." in opened  # this year: no year
    assert "2026" not in opened
    acme.sweep(at=datetime(2026, 12, 30, 10, 0, 1, tzinfo=UTC))  # breached at 10:00

    clock.set(datetime(2027, 1, 5, 9, 30, tzinfo=UTC))
    listed = acme.command("/ticket list", AGENT).text
    assert "First response *breached* at Wed 30 Dec 2026 10:00 GMT" in listed
    why = acme.command("/ticket why 1", AGENT).text
    assert "Opened Wed 30 Dec 2026 09:00 GMT;" in why
    assert "Wed 30 Dec 2026 09:00 – Tue 5 Jan 09:30: 144h 30m counted" in why
    assert "First response breached at Wed 30 Dec 2026 10:00 GMT" in why
    assert "First response was due Wed 30 Dec 2026 10:00 GMT" in why
    answered = acme.command("/ticket respond 1", AGENT).text
    # The answer itself is this year: no year on it.
    assert "first response recorded at Tue 5 Jan 09:30 GMT" in answered
    assert "breached* at Wed 30 Dec 2026 10:00 GMT, answered late at Tue 5 Jan 09:30 GMT" in (
        answered
    )
    acme.sweep()  # the team's alert, written in January, moves in place
    (alert,) = alerts(acme.database)
    assert "the resolution target of 8h passed at Wed 30 Dec 2026 17:00 GMT." in alert.text


def test_ticket_why_reads_whole_minutes_that_add_up(acme, clock):
    # The fixed clock reads Fri 20 Nov 10:00:00; opened 09:00 with a 1h first response.
    acme.command("/ticket open acme immediate Down opened today 09:00", AGENT)
    clock.advance(timedelta(minutes=-40, seconds=-30))  # 09:19:30
    acme.command("/ticket pause 1", AGENT)
    paused = acme.command("/ticket why 1", AGENT).text
    # 19m 30s counted reads 19m (a minute counts once it has run); 40m 30s left reads 41m
    # (never a 0m while time is left): 19m + 41m is the 1h target, as shown.
    assert "First response paused with 19m counted, 41m left" in paused
    assert "Fri 20 Nov 09:00–09:19: 19m counted" in paused
    assert not SECONDS.search(paused), paused
    assert "First response paused, 41m left" in acme.command("/ticket list", AGENT).text

    clock.advance(timedelta(minutes=10, seconds=45))  # 09:30:15, resumed
    acme.command("/ticket resume 1", AGENT)
    clock.advance(timedelta(minutes=10, seconds=50))  # 09:41:05
    why = acme.command("/ticket why 1", AGENT).text
    assert not SECONDS.search(why), why
    # Stretches 19m 30s + 10m 50s = 30m 20s: shown 19m + 11m = 30m, the total shown below.
    assert "Fri 20 Nov 09:00–09:19: 19m counted" in why
    assert "Fri 20 Nov 09:30–09:41: 11m counted" in why
    assert "(30m already counted)" in why
    assert "= 09:30 + 30m business time (30m already counted)" in why

    clock.advance(timedelta(minutes=30))  # 10:11:05: 1h 0m 20s counted, 20s over
    acme.command("/ticket respond 1", AGENT)
    late = acme.command("/ticket why 1", AGENT).text
    assert not SECONDS.search(late), late
    assert "after 1h 1m of business time (target 1h)" in late  # 1h + 1m over, as shown
    assert "(1m over)" in late


def test_sla_alerts_read_whole_minutes(acme, clock):
    clock.set(datetime(2026, 11, 20, 9, 59, 30, tzinfo=UTC))
    acme.command("/ticket open acme immediate Down opened today 09:10", AGENT)  # a warning
    (warning,) = alerts(acme.database)
    # 10m 30s to the 10:10 due time reads 11m: time left rounds up, never to a 0m early.
    assert "first response due Fri 20 Nov 10:10 GMT, 11m of business time left." in warning.text
    assert not SECONDS.search(warning.text), warning.text


def test_a_used_up_balance_says_no_prepaid_hours_left(acme):
    acme.command("/hourglass hours add acme 1", MANAGER)
    reply = acme.said(acme.command("/log 1h acme", AGENT))
    assert "acme has no prepaid hours left." in reply
    assert "0m of prepaid hours" not in reply
    assert acme.event({"type": "app_home_opened", "user": MANAGER, "tab": "home"}).status == 200
    view = acme.standin.calls_to("views.publish")[-1].params["view"]
    home = "\n".join((b.get("text") or {}).get("text", "") for b in view["blocks"])
    assert "*acme*: no prepaid hours left (threshold 2h)" in home
    undone = acme.said(acme.command("/log undo", AGENT))
    assert "acme has 1h of prepaid hours left." in undone


CORRECTIONS = (
    "/log undo [<#id>]",
    "/log edit <#id>",
    "/call undo [<#id>]",
    "/call bill <#id> training|undo",
    "/book restore <id>",
    "/book move undo <id>",
    "/book waive <id> <reason>",
    "/ticket reopen <id>",
    "/hourglass history",
    "/hourglass hours list <customer>",
    "/hourglass hours void <#id>",
    "/hourglass hours adjust <#id> <±hours> <reason>",
    "/hourglass customer archive|unarchive <name>",
    "/hourglass customer edit <name>",
    "/hourglass role add <@user> agent|manager",
    "/hourglass role remove <@user>",
    "/hourglass role list",
)


def test_hourglass_help_lists_every_correction_in_sections_slack_takes(acme):
    reply = acme.command("/hourglass help", AGENT)
    for usage in CORRECTIONS:
        assert f"`{usage}" in reply.text, usage
    blocks = reply.body["blocks"]
    assert len(blocks) > 1 and all(len(b["text"]["text"]) <= SECTION_LIMIT for b in blocks)
    assert "\n".join(b["text"]["text"] for b in blocks) == reply.text
    assert "reopen" in acme.command("/ticket help", AGENT).text


def test_alerts_failed_shows_the_year_of_a_december_problem_in_january(slack, clock):
    clock.set(datetime(2026, 12, 30, 9, 0, tzinfo=UTC))
    with slack.database.session() as db:
        factories.customer(db, slack.policy, "acme", channel="CACME01", now=slack.clock.now())
    event = {"type": "channel_archive", "channel": "CACME01", "user": "UOTHER1"}
    assert slack.event(event, event_id="EvArch1").status == 200
    listed = slack.command("/hourglass alerts failed", MANAGER).text
    assert "(Wed 30 Dec 09:00)" in listed
    clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    listed = slack.command("/hourglass alerts failed", MANAGER).text
    assert "(Wed 30 Dec 2026 09:00)" in listed
