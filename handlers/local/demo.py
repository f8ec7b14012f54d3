"""`hourglass demo`: a scripted walk through every feature, on a fresh SQLite database.

No Slack needed: commands go through the real Bolt app, and what it would post to Slack
is printed. Each feature adds a chapter below.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import textwrap
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import roles
from bot.clock import FixedClock
from bot.customers import get_customer
from bot.errors import ConfigError
from bot.policy.loader import default_policy_text, load_policy, parse_policy
from bot.reports.at_risk import CHART_BALANCE
from bot.reports.issued import monthly_statement
from bot.reports.pdf import statement_pdf
from bot.reports.policy_record import check_recorded
from bot.reports.rerate import rerate
from bot.reports.statement import build_statement
from bot.units import plural
from handlers.local.console import LocalSlack, LocalWiring
from store.db import Database, migrate

MANAGER, AGENT, STRANGER = "UMAYA0001", "UALEX0001", "USTRANGER1"
KIRI = "UKIRI0001"  # an agent in Auckland, ahead of the provider's day
# The team set Hourglass up in October, so work in November may be dated back to then.
SETUP = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Demo:
    def __init__(self, local: LocalSlack, clock: FixedClock, database: Database) -> None:
        self.local, self.clock, self.database = local, clock, database
        self.last_buttons: dict[str, tuple[str, str]] = {}

    def say(self, text: str) -> None:
        print(f"\n## {text}")

    def at(self, when: datetime) -> None:
        self.clock.set(when)
        print(f"   (it is now {when.astimezone(self.local.policy.timezone):%a %d %b %Y %H:%M %Z})")

    def run(self, line: str, user: str = AGENT, channel: str = "CDEMO") -> str:
        print(f"{_who(user)}> {line}")
        answer = self.local.command(line, user, channel)
        self.last_buttons = _buttons(answer)
        reply = answer.get("text", "")
        print(textwrap.indent(reply, "   "))
        return reply

    def press(self, label: str, user: str = AGENT) -> None:
        """Press a button on the last reply, as `user`."""
        action_id, value = self.last_buttons[label]
        print(f"{_who(user)}> [presses {label}]")
        print(textwrap.indent(self.local.action(action_id, value, user), "   "))

    def sweep(self) -> None:
        report = self.local.sweep()
        print(
            f"   [clock] sweep: {plural(report.posted, 'alert')} posted, {report.updated} updated"
        )


def _who(user: str) -> str:
    return {MANAGER: "maya (manager)", AGENT: "alex (agent)", STRANGER: "sam"}.get(user, user)


def _buttons(answer: dict) -> dict[str, tuple[str, str]]:
    """A reply's buttons: label -> (action_id, value)."""
    return {
        element["text"]["text"]: (element["action_id"], element.get("value", ""))
        for block in answer.get("blocks") or []
        for element in block.get("elements") or []
        if element.get("type") == "button"
    }


def chapter_foundation(demo: Demo) -> None:
    demo.say("Setting up: a manager adds customers and sells hour blocks")
    demo.say("acme reads #CACME01 (shared with them); internal alerts go to the team's #CACMETEAM")
    demo.run(
        "/hourglass customer add acme plan=professional channel=<#CACME01|acme> "
        "team=<#CACMETEAM|acme-team> seats=2",
        MANAGER,
    )
    demo.run("/hourglass customer add globex plan=lite channel=<#CGLOBEX1|globex>", MANAGER)
    demo.run("/hourglass hours add acme 10 purchased 2026-08-30 ref=PO-1182", MANAGER)
    demo.run("/hourglass hours add acme 5 ref=PO-1240", MANAGER)
    demo.say("Refused commands change nothing and say why")
    demo.run("/hourglass customer add initech plan=platinum", MANAGER)
    demo.run("/hourglass customer add initech plan=lite team=<#CACME01|acme>", MANAGER)
    demo.run("/hourglass hours add acme ten", MANAGER)
    demo.run("/hourglass customer add initech plan=lite", STRANGER)
    demo.run("/hourglass customer add initech plan=lite", AGENT)
    demo.say("A customer with no channel anywhere is added, and the reply says where that leaves")
    demo.run("/hourglass customer add initech plan=lite", MANAGER)
    demo.say("Channel health: the channel is checked with Slack once the customer is saved")
    demo.local.standin.add_channel("COLD2019", "umbrella-2019", archived=True)
    demo.run(
        "/hourglass customer add umbrella plan=lite channel=<#COLD2019|umbrella-2019>", MANAGER
    )
    demo.run("/hourglass customer add umbrella plan=lite channel=<#GUMBRELLA|umbrella>", MANAGER)
    demo.run("/hourglass alerts failed", MANAGER)
    demo.say("Changing a customer later: audited, and the reply gives the undo")
    demo.run("/hourglass customer edit globex seats=3 team=<#CGLOBEXTM|globex-team>", MANAGER)
    demo.run("/hourglass customer edit globex plan=gold", MANAGER)
    demo.run("/hourglass customer list")
    demo.say("Balances")
    demo.run("/balance acme")
    demo.say(
        "Slack is slow (it answers every call `429 Retry-After`): commands are still answered "
        "at once, from what Hourglass already knows; its own calls to Slack wait till after"
    )
    demo.local.standin.rate_limit(retry_after=1)
    demo.run("/balance globex")
    demo.local.standin.lift_rate_limit()
    demo.say("Every command also works after /hourglass, for workspaces where /balance is taken")
    demo.run("/hourglass balance globex")
    demo.say("A direct message to the app is answered with the help, in the DM")
    dm = {"type": "message", "channel": "DALEX01", "channel_type": "im", "user": AGENT}
    demo.local.event({**dm, "text": "how do I log time?", "ts": "1795000000.000100"}, "EvDEMODM1")


def ticket_id(reply: str) -> str:
    """The first `#id` a reply names."""
    match = re.search(r"#(\d+)", reply)
    return match.group(1) if match else "0"


def chapter_sla(demo: Demo) -> None:
    # A script read top to bottom, like the other chapters: it reads better whole.

    def event(description: str, body: dict, event_id: str, retry: int | None = None) -> None:
        note = f" (Slack retry {retry})" if retry else ""
        print(f"[slack event {event_id}{note}] {description}")
        demo.local.event(body, event_id, retry)

    demo.say("SLA tickets: clocks on each plan's business calendar")
    urgent = ticket_id(demo.run("/ticket open acme immediate Checkout returns 500 errors"))
    demo.run("/ticket open globex low Please add a user for our new starter")
    demo.say(
        "A customer writes in their channel: a ticket opens by itself (retries count once) and "
        "they are told, in their thread, the public target only (seed 004)"
    )
    ts = f"{int(demo.clock.now().timestamp())}.000100"
    message = {
        "type": "message",
        "channel": "CACME01",
        "user": "UACMECUST1",
        "text": "Our nightly export failed again",
        "ts": ts,
    }
    event("a customer posts in #acme", message, "EvDEMOSLA1")
    event("the same message again", message, "EvDEMOSLA1", retry=1)
    listed = demo.run("/ticket list acme")
    from_channel = ticket_id(listed.split("\n")[-1])
    demo.say("An agent replies in the thread: that is the first response")
    reply = {
        **message,
        "user": AGENT,
        "text": "Looking now",
        "ts": ts[:-3] + "200",
        "thread_ts": ts,
    }
    event("alex replies in the thread", reply, "EvDEMOSLA2")
    demo.run(f"/ticket pause {from_channel}")
    demo.say(
        "Nobody answers the immediate ticket: one alert in the team's channel, never the "
        "customer's, edited in place as it moves"
    )
    opened = demo.clock.now()
    demo.at(opened + timedelta(minutes=35))  # 75% of the internal 45m has gone
    demo.sweep()
    demo.at(opened + timedelta(hours=1, minutes=5))  # the public 1h target has passed
    demo.sweep()
    demo.sweep()
    demo.run(f"/ticket resume #{from_channel}")
    demo.at(opened + timedelta(hours=2, minutes=5))  # 1h after the breach: escalation
    demo.sweep()
    demo.run(f"/ticket why {urgent}")
    demo.run(f"/ticket respond {urgent}")
    reaction = {
        "type": "reaction_added",
        "user": AGENT,
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": "CACME01", "ts": ts},
    }
    event("alex reacts ✅ to the customer's message", reaction, "EvDEMOSLA3")
    demo.run(f"/ticket resolve {urgent}")
    demo.sweep()
    demo.run("/ticket list")


def chapter_sla_rules(demo: Demo) -> None:
    demo.say("A reply at the deadline meets it (seed 003: answered within 1 hour)")
    on_time = ticket_id(demo.run("/ticket open acme immediate Reports page is blank"))
    demo.at(demo.clock.now() + timedelta(hours=1))  # exactly 1h later, on the 24/7 plan
    demo.sweep()
    demo.run(f"/ticket respond {on_time}")
    demo.say("Lite breaches alert the team but never escalate (seed 003: Technical Support only)")
    lite = ticket_id(demo.run("/ticket open globex immediate Phones down opened today 10:00"))
    demo.sweep()
    demo.run(f"/ticket why {lite}")
    demo.say("A target used up at closing time is met until the next opening, breached then")
    evening = demo.run("/ticket open globex immediate VPN drops opened yesterday 17:00")
    demo.run(f"/ticket why {ticket_id(evening)}")  # due 18:00 -> at 08:00, when the desk opens
    demo.say("Refused: a priority the plan does not have, a time in the future")
    demo.run("/ticket open acme urgent Something")
    demo.run("/ticket open acme low Something opened tomorrow 09:00")
    demo.say("The month so far, against the goal (seed 004: 90% of first responses within 6h)")
    demo.run("/hourglass sla", MANAGER)


def chapter_calls(demo: Demo) -> None:

    demo.say("Phone calls (seed 000): an agent times a call")
    start = demo.clock.now()
    demo.run("/timer start acme bob printer setup")
    demo.run("/timer start acme jane")
    demo.at(start + timedelta(minutes=16, seconds=30))
    demo.run("/timer status")
    demo.run("/timer stop q=4 fixed the driver")
    demo.say("Five calls for jane recorded after the fact: 16 + 14 + 14 + 2 + 15 = 61 minutes")
    for minutes in (16, 14, 14, 2, 15):
        if "looks like a repeat" in demo.run(f"/call {minutes}m acme jane"):
            demo.press("Log again")  # the second 14m call is asked about first
    demo.say("The clock posts the long-call and fair-use alerts, once each however often it runs")
    demo.sweep()
    demo.sweep()
    demo.say("acme has two seats, so the account's allowance is 90 minutes")
    demo.run("/balance acme")
    demo.say(
        "A long call may be training (seed 000): only a manager may bill it at the training "
        "rate; it then leaves jane's allowance, and the long-call alert says who decided"
    )
    demo.run("/call bill #2 training")
    demo.run("/call bill #2 training", MANAGER)
    demo.sweep()
    demo.say(
        "Undone just as easily: bob's call (16m 30s on the timer, 17m billed) goes back to support"
    )
    demo.run("/call bill #1 training", MANAGER)
    demo.run("/call bill #1 undo", MANAGER)
    demo.say("A plan without phone support: the call is kept, but not covered")
    demo.run("/call 20m globex joe")
    demo.say("kiri (Auckland) dates a call: `today` is London's day, the month counted there")
    demo.run("/call 5m acme ann on today", KIRI)
    demo.say("globex buys the phone add-on (seed 000): from now on its calls count for fair use")
    demo.run("/hourglass customer set globex phone=on", MANAGER)
    if "looks like a repeat" in demo.run("/call 20m globex joe"):
        demo.press("Log again")  # the same words as the uncovered call: asked first
    demo.run("/balance globex")
    demo.say("…and drops it: new calls are not covered again; the ones made meanwhile stay so")
    demo.run("/hourglass customer set globex phone=off", MANAGER)
    demo.say("A timer left running: the agent gets a DM with Stop and Keep running buttons")
    start = demo.clock.now()
    demo.run("/timer start acme ann")
    demo.at(start + timedelta(minutes=61))
    demo.sweep()
    demo.run("/timer discard")
    demo.say("Refused: a future date, a zero call, a bad quality score (nothing recorded)")
    demo.run("/call 10m acme jane on tomorrow")
    demo.run("/call 0m acme jane")
    demo.run("/call 10m acme jane q=7")


def chapter_bookings(demo: Demo) -> None:

    started = demo.clock.now()
    demo.local.standin.add_user("UJO000001", "jo", "Europe/London")
    demo.local.standin.add_user("UKIM00001", "kim", "America/New_York")
    with demo.database.session() as db:
        roles.grant(db, "UKIM00001", "agent", "demo", started)
    demo.say("Booking 1-on-1 sessions (seed 001) and training (seed 000)")
    demo.run("/book acme 2026-11-23 15:00 1h <@UJO000001|jo> extra")
    demo.run("/book acme 2026-11-24 10:00 90m training")
    demo.run("/book acme tomorrow 08:00 1h <@UJO000001|jo>")  # 23 hours ahead
    demo.run("/book acme 2026-11-26 14:00 1h")
    demo.run("/book acme 2026-11-25 09:00 30m")
    demo.say("An engineer can't be in two sessions at once; nonsense is refused")
    demo.run("/book globex 2026-11-23 15:30 30m")
    demo.run("/book globex yesterday 10:00 1h")
    demo.run("/book globex tomorrow 12:00 12h")
    demo.say("kim works from New York: times are read and shown in her own timezone")
    demo.run("/book globex tomorrow 10:00 1h", "UKIM00001")
    demo.sweep()
    demo.say("Cancelled less than 24 hours ahead: 30 minutes billed and the channel told")
    demo.run("/book cancel #3")
    demo.run("/book cancel #3")
    demo.say("Cancelled 24 hours or more ahead: free")
    demo.run("/book cancel #4")
    demo.run("/book cancel #99")
    demo.sweep()
    demo.say("Moving a session: free with 24 hours' notice; later, the late charge, asked first")
    demo.run("/book acme 2026-11-27 11:00 1h")
    demo.run("/book move #7 2026-11-27 14:00")
    demo.run("/book move undo #7")
    demo.run("/book acme tomorrow 07:00 30m")  # less than a day ahead
    demo.run("/book move #8 2026-11-23 15:30")  # alex is with acme then (#1)
    demo.run("/book move #8 2026-11-27 09:00")
    demo.press("Move anyway")
    demo.sweep()
    demo.say("Reminders a day and an hour before, to each engineer and the channel")
    demo.at(datetime(2026, 11, 22, 15, 0, tzinfo=UTC))
    demo.sweep()
    demo.at(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    demo.sweep()
    demo.sweep()
    demo.say("The customer doesn't turn up to #5: a no-show")
    demo.at(datetime(2026, 11, 25, 9, 15, tzinfo=UTC))
    demo.run("/book noshow #5")
    demo.sweep()
    demo.at(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    demo.run("/book list acme")
    demo.run("/balance acme")
    demo.say("Held sessions bill their length (× engineers billed); training at the training rate")
    demo.run("/hourglass report acme 2026-11", MANAGER)  # the JSON is printed once, at the end


def chapter_time(demo: Demo) -> None:
    demo.at(START)
    demo.say("Time logging: each day's 1-on-1 time is rounded once, not each entry")
    demo.run("/log 5m acme")
    demo.run("/log 30m acme 1on1 setup reset the VPN profile")
    demo.run("/log 20m acme general answered a billing question")
    demo.run("/log list")
    demo.say("Undo takes back your last entry (kept, marked undone) and recomputes")
    demo.run("/log 45m acme testing")
    demo.run("/log undo")
    demo.say("A back-dated entry draws from the block valid on its date: the older block")
    demo.run("/log 1h30m acme research on yesterday traced the mail loop")
    demo.say("kiri works from Auckland, already Saturday there: her `today` is London's Friday")
    demo.local.standin.add_user(KIRI, "kiri", "Pacific/Auckland")
    with demo.database.session() as db:
        roles.grant(db, KIRI, "agent", "demo", demo.clock.now())
    demo.at(datetime(2026, 11, 20, 12, 30, tzinfo=UTC))
    demo.run("/log 10m globex", KIRI)
    demo.run("/log 10m globex on today", KIRI)  # the same words within a minute: asked first
    demo.press("Log again", KIRI)  # the same day: 20m logged, 30m billed once
    demo.run("/log 10m globex on 2026-11-21", KIRI)  # London's Saturday has not started
    demo.run("/log undo", KIRI)
    demo.run("/log undo", KIRI)
    demo.say("Where people click: `/log` alone opens the Log time form (so does App Home)")
    demo.run("/log")
    print('alex (agent)> [Log time on this message, on "Printer queue stuck" in #CACME01]')
    demo.local.shortcut("log_time_on_message", "CACME01", "Printer queue stuck", AGENT)
    print("alex (agent)> [the form has acme and the message's link; fills in 25m, submits]")
    form = {"customer": "acme", "duration": "25m", "date": "2026-11-20", "kind": "1on1"}
    demo.local.submit("log_time", {**form, "note": "printer queue"}, AGENT)
    print("alex (agent)> [submits 13h]")
    refused = demo.local.submit("log_time", {**form, "duration": "13h"}, AGENT)
    for field, error in refused.get("errors", {}).items():
        print(f"   [the form stays open; under {field}: {error}]")
    demo.say("Refused input changes nothing")
    demo.run("/log 13h acme")
    demo.run("/log 30m acme genral")
    demo.run("/log 30m acme on tomorrow")
    demo.run("/log 30m acme'; DROP TABLE time_entries;--")
    demo.run("/log list")
    demo.run("/balance acme")
    demo.say("The clock warns before a block expires, and records the forfeit when it does")
    demo.run("/hourglass hours add globex 3 purchased 2026-08-24 ref=PO-0977", MANAGER)
    demo.run("/log 40m globex on yesterday", AGENT)
    start = demo.clock.now()
    for days in (0, 0, 1, 2):
        demo.at(start + timedelta(days=days))
        demo.sweep()
    demo.run("/balance globex")
    demo.run("/hourglass report globex 2026-11", MANAGER)
    demo.say("Issuing a month freezes its statement; a later change lands in the next open month")
    demo.run("/log 1h initech on 2026-10-15 migrated the mail server")
    demo.run("/hourglass report initech 2026-10 issue", MANAGER)
    demo.run("/hourglass report initech 2026-11 issue", MANAGER)  # not ended: refused
    demo.run("/log 30m initech on 2026-10-16 the forgotten follow-up call")
    demo.run("/hourglass report initech 2026-10", MANAGER)  # as issued, byte for byte
    demo.run("/hourglass report initech 2026-11", MANAGER)  # carries the adjustment


DECEMBER_RATE = """
[[versions]]                  # from 1 December the hourly rate is 120.00
effective_from = "2026-12-01"
provider.hourly_rate = "120.00"
"""


def chapter_policy_versions(demo: Demo) -> None:
    demo.say("A rate change on the 1st: November's statement stays as it was (issue 16)")
    demo.at(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    before = demo.run("/hourglass report globex 2026-11", MANAGER)
    print("$ cat >> policy.toml" + textwrap.indent(DECEMBER_RATE, "   "))
    print("$ hourglass run   # restarted with the new version")
    demo.local.restart(parse_policy(default_policy_text() + DECEMBER_RATE, "policy.toml"))
    after = demo.run("/hourglass report globex 2026-11", MANAGER)
    print(f"   (November's statement {'unchanged' if after == before else 'CHANGED'})")
    demo.run("/log 20m globex")  # December's work: at 120.00 GBP/h
    rerate_december(demo)


def rerate_december(demo: Demo) -> None:
    """December's rate was meant to be 130.00: the edit is refused at start-up, and a
    manager re-rates from the 1st, first seeing the before/after, then with --yes."""
    demo.say("A past version edited: refused at start-up until a manager re-rates")
    recorded = parse_policy(default_policy_text() + DECEMBER_RATE, "policy.toml")
    edited = parse_policy(
        default_policy_text() + DECEMBER_RATE.replace("120", "130"), "policy.toml"
    )
    now = demo.clock.now()
    with demo.database.session() as db:
        check_recorded(db, recorded, now)  # what the restart above recorded
    print("$ sed -i s/120.00/130.00/ policy.toml && hourglass run")
    try:
        with demo.database.session() as db:
            check_recorded(db, edited, now)
    except ConfigError as refused:
        print(textwrap.indent(f"hourglass: {refused}", "   "))
    for flag in ("", " --yes"):
        print(f"$ hourglass policy rerate --from 2026-12-01{flag}")
        with demo.database.session() as db:
            result = rerate(db, edited, date(2026, 12, 1), now, commit=bool(flag))
        print(textwrap.indent(result.describe(edited.currency, now), "   "))
    demo.local.restart(edited)
    demo.run("/hourglass report globex 2026-12", MANAGER)  # at 130.00 GBP/h now


# Time only moves forward through the chapters, as it would for a real team.
def chapter_corrections(demo: Demo) -> None:
    demo.say("Every mistake is fixable from Slack, audited, and the alerts follow (issue 19)")
    for channel, name in (("CHOOLI01", "hooli"), ("CHOOLITM", "hooli-team")):
        demo.local.standin.add_channel(channel, name)
    demo.run(
        "/hourglass customer add hooli plan=professional channel=<#CHOOLI01|hooli> "
        "team=<#CHOOLITM|hooli-team>",
        MANAGER,
    )
    demo.run("/hourglass hours add hooli 8", MANAGER)
    demo.say("sam has no role yet; a manager adds him from Slack")
    demo.run("/log 30m hooli", STRANGER)
    demo.run(f"/hourglass role add <@{STRANGER}> agent", MANAGER)
    demo.say("A typo: 3h instead of 3m. Its alerts go out; the undo edits them to Withdrawn")
    demo.run("/call 3h hooli jane", STRANGER)
    demo.sweep()
    demo.run("/call undo", STRANGER)
    demo.sweep()
    demo.say("12h logged by mistake empties the block; undoing it withdraws the low balance")
    logged = demo.run("/log 12h hooli", STRANGER)
    entry = logged.split("Entry #", 1)[1].split(".", 1)[0]  # "… Entry #12."
    demo.sweep()
    demo.run("/log undo", STRANGER)
    demo.sweep()
    demo.say("An undo is a mistake too: restore takes it back, and the alert returns in place")
    demo.run(f"/log restore #{entry}", STRANGER)
    demo.sweep()
    demo.run(f"/log undo #{entry}", STRANGER)
    demo.sweep()
    demo.say("A ticket resolved too soon is reopened; the manager reads who changed what")
    opened = demo.run("/ticket open hooli low Printer offline", STRANGER)
    ticket = opened.split("*#", 1)[1].split("*", 1)[0]  # "Opened ticket *#7* for …"
    demo.run(f"/ticket resolve #{ticket}", STRANGER)
    demo.run(f"/ticket reopen #{ticket}", STRANGER)
    demo.run("/hourglass history hooli", MANAGER)


DIGEST_CHANNEL = """
[insights]                    # issue 13: the managers' weekly digest, Mondays 09:00
digest_channel = "CMANAGERS"
"""


def chapter_forecasts(demo: Demo) -> None:
    demo.say("Looking ahead (issue 13): burn rate, run-out, forfeit, SLA error budget, digest")
    demo.at(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))  # a Monday, at the digest's time
    print("$ cat >> policy.toml" + textwrap.indent(DIGEST_CHANNEL, "   "))
    demo.local.standin.add_channel("CMANAGERS", "managers")
    demo.local.restart(
        parse_policy(
            default_policy_text()
            + DECEMBER_RATE.replace("120", "130")  # as re-rated in the last chapter
            + DIGEST_CHANNEL,
            "policy.toml",
        )
    )
    demo.say("/balance ends with a forecast at the last 8 weeks' billed time")
    demo.run("/balance acme")
    demo.run("/balance hooli")
    demo.say("The SLA report: this month's attainment, error budget and projected month end")
    demo.run("/ticket open acme priority Export fails opened 2026-12-07 01:00")
    demo.run("/ticket respond #8")  # eight hours: past the 6h goal
    demo.run("/ticket report acme", MANAGER)
    demo.say(
        "The clock: forfeit_risk and sla_budget go to the team's channel only, and the weekly "
        "digest to the managers' channel, each once"
    )
    demo.sweep()
    demo.sweep()
    demo.say("A manager's App Home: customers at risk, most urgent first, each with a Chart button")
    demo.local.event({"type": "app_home_opened", "user": MANAGER, "tab": "home"}, "EvDEMOHOME1")
    view = demo.local.standin.calls_to("views.publish")[-1].params["view"]
    for block in view["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == CHART_BALANCE:
            print(textwrap.indent(f"{block['text']['text']}   [Chart]", "   "))


def chapter_charts_and_pdf(demo: Demo) -> None:
    """Issue 13 items 3 and 5: charts and an invoice-ready PDF, written to files here (the
    console's stand-in saves what the app uploads and prints the path)."""
    demo.say("Charts in Slack: hours left per block, projected to run-out (dashed)")
    demo.run("/balance acme chart", AGENT, channel="CACMETEAM")
    demo.say("Asked in acme's own channel (shared with them): the chart goes to a DM instead")
    demo.run("/balance acme chart", AGENT, channel="CACME01")
    demo.say("Chart pressed on App Home (no channel there): the chart comes by direct message")
    print(f"{_who(MANAGER)}> [presses Chart beside acme on App Home]")
    print(textwrap.indent(demo.local.action(CHART_BALANCE, "acme", MANAGER), "   "))
    demo.say("The SLA goal month by month, the last 12 months against the goal line")
    demo.run("/ticket report acme chart", MANAGER, channel="CACMETEAM")
    demo.say("An invoice-ready PDF statement, from Slack and from the shell")
    demo.run("/hourglass report acme 2026-11 pdf", MANAGER, channel="CACMETEAM")
    folder = demo.local.files_dir or Path(tempfile.mkdtemp(prefix="hourglass-files-"))
    path = folder / "acme-2026-11.pdf"
    print(f"$ hourglass report --customer acme --month 2026-11 --format pdf --output {path}")
    policy = demo.local.policy
    with demo.database.session() as db:
        month = monthly_statement(db, policy, get_customer(db, "acme"), 2026, 11, demo.clock.now())
    path.write_bytes(statement_pdf(month.statement, policy.name, policy.timezone))
    print(
        f"   hourglass: statement written to {path} (amount due "
        f"{month.statement['amount']} {month.statement['currency']}, as the JSON says)"
    )


CHAPTERS = [
    chapter_foundation,
    chapter_time,
    chapter_calls,
    chapter_sla,
    chapter_sla_rules,
    chapter_bookings,
    chapter_policy_versions,
    chapter_corrections,
    chapter_forecasts,
    chapter_charts_and_pdf,
]


def statement(demo: Demo, customer: str, month: str) -> None:

    year, mon = (int(p) for p in month.split("-"))
    with demo.database.session() as db:
        data = build_statement(
            db, demo.local.policy, get_customer(db, customer), year, mon, demo.clock.now()
        )
    print(f"$ hourglass report --customer {customer} --month {month} --format json")
    print(textwrap.indent(readable_json(data), "   "))


def readable_json(data: Mapping[str, Any]) -> str:
    """The statement's JSON as the command prints it, but one line per row (a session, a
    block, a caller), so a person can read it down the page."""
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            rows = [f"    {json.dumps(row)}," for row in value]
            rows[-1] = rows[-1][:-1]
            lines += [f"  {json.dumps(key)}: [", *rows, "  ],"]
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)},")
    lines[-1] = lines[-1][:-1]
    return "\n".join(["{", *lines, "}"])


def main(wiring: LocalWiring) -> int:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="hourglass-demo-") as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        print(f"Hourglass demo: a fresh database at {url}, the bundled default policy.")
        migrate(url)
        database = Database(url)
        policy = load_policy(None)
        clock = FixedClock(START)
        settings = wiring.settings_from_env({"DATABASE_URL": url})
        local = LocalSlack(wiring, settings, database, policy, clock, echo=print)
        for user, name, tz in (
            (MANAGER, "maya", "Europe/London"),
            (AGENT, "alex", "Europe/London"),
            (STRANGER, "sam", "America/New_York"),
        ):
            local.standin.add_user(user, name, tz)
        with database.session() as db:
            roles.grant(db, MANAGER, "manager", "demo", clock.now())
            roles.grant(db, AGENT, "agent", "demo", clock.now())
        print("$ hourglass role add UMAYA0001 manager; hourglass role add UALEX0001 agent")
        demo = Demo(local, clock, database)
        try:
            demo.at(SETUP)
            for chapter in CHAPTERS:
                chapter(demo)
            demo.say("The monthly statement")
            statement(demo, "acme", "2026-11")  # the month the chapters worked in
        finally:
            local.close()
            database.dispose()
    print("\nDemo finished. Try it yourself: `hourglass console`.")
    return 0
