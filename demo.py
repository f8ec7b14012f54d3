"""`hourglass demo`: a scripted walk through every feature, on a fresh SQLite database.

No Slack needed: commands go through the real Bolt app, and what it would post to Slack
is printed. Each feature adds a chapter below.
"""

from __future__ import annotations

import json
import tempfile
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from bot.clock import FixedClock
from bot.policy import load_policy
from store.db import Database, migrate

MANAGER, AGENT, STRANGER = "UMAYA0001", "UALEX0001", "USTRANGER1"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Demo:
    def __init__(self, local, clock: FixedClock, database: Database):
        self.local, self.clock, self.database = local, clock, database

    def say(self, text: str) -> None:
        print(f"\n## {text}")

    def at(self, when: datetime) -> None:
        self.clock.set(when)
        print(f"   (it is now {when.astimezone(self.local.policy.timezone):%a %d %b %Y %H:%M %Z})")

    def run(self, line: str, user: str = AGENT, channel: str = "CDEMO") -> str:
        who = {MANAGER: "maya (manager)", AGENT: "alex (agent)", STRANGER: "sam (no role)"}.get(
            user, user
        )
        print(f"{who}> {line}")
        reply = self.local.command(line, user, channel).get("text", "")
        print(textwrap.indent(reply, "   "))
        return reply

    def sweep(self) -> None:
        report = self.local.sweep()
        print(f"   [clock] sweep: {report.posted} alerts posted, {report.updated} updated")


def chapter_foundation(demo: Demo) -> None:
    demo.say("Setting up: a manager adds customers and sells hour blocks")
    demo.run(
        "/hourglass customer add acme plan=professional channel=<#CACME01|acme> seats=2", MANAGER
    )
    demo.run("/hourglass customer add globex plan=lite channel=<#CGLOBEX1|globex>", MANAGER)
    demo.run("/hourglass hours add acme 10 purchased 2026-08-30 ref=PO-1182", MANAGER)
    demo.run("/hourglass hours add acme 5 ref=PO-1240", MANAGER)
    demo.say("Refused commands change nothing and say why")
    demo.run("/hourglass customer add initech plan=platinum", MANAGER)
    demo.run("/hourglass hours add acme ten", MANAGER)
    demo.run("/hourglass customer add initech plan=lite", STRANGER)
    demo.run("/hourglass customer add initech plan=lite", AGENT)
    demo.say("Balances")
    demo.run("/balance acme")


def chapter_sla(demo: Demo) -> None:
    import re
    from datetime import timedelta

    def ticket_id(reply: str) -> str:
        match = re.search(r"#(\d+)", reply)
        return match.group(1) if match else "0"

    def event(description: str, body: dict, event_id: str, retry: int | None = None) -> None:
        note = f" (Slack retry {retry})" if retry else ""
        print(f"[slack event {event_id}{note}] {description}")
        demo.local.event(body, event_id, retry)

    demo.say("SLA tickets: clocks on each plan's business calendar")
    urgent = ticket_id(demo.run("/ticket open acme immediate Checkout returns 500 errors"))
    demo.run("/ticket open globex low Please add a user for our new starter")
    demo.say("A customer writes in their channel: a ticket opens by itself (retries count once)")
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
    demo.say("Nobody answers the immediate ticket: one alert, edited in place as it moves")
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
    demo.say("Refused: a priority the plan does not have, a time in the future")
    demo.run("/ticket open acme urgent Something")
    demo.run("/ticket open acme low Something opened tomorrow 09:00")
    demo.say("The month so far, against each plan's goal")
    demo.run("/hourglass sla", MANAGER)


CHAPTERS = [chapter_foundation, chapter_sla]


def statement(demo: Demo, customer: str, month: str) -> None:
    from bot.customers import get_customer
    from bot.statement import build_statement

    year, mon = (int(p) for p in month.split("-"))
    with demo.database.session() as db:
        data = build_statement(
            db, demo.local.policy, get_customer(db, customer), year, mon, demo.clock.now()
        )
    print(f"$ hourglass report --customer {customer} --month {month} --format json")
    print(textwrap.indent(json.dumps(data, indent=2), "   "))


def main() -> int:
    import app as hourglass_app
    from bot import roles
    from console import LocalSlack

    with tempfile.TemporaryDirectory(prefix="hourglass-demo-") as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        print(f"Hourglass demo: a fresh database at {url}, the bundled default policy.")
        migrate(url)
        database = Database(url)
        policy = load_policy(None)
        clock = FixedClock(START)
        settings = hourglass_app.Settings.from_env({"DATABASE_URL": url})
        lines: list[str] = []
        local = LocalSlack(
            settings, database, policy, clock, echo=lambda s: (lines.append(s), print(s))
        )
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
            demo.at(START)
            for chapter in CHAPTERS:
                chapter(demo)
            demo.say("The monthly statement")
            statement(demo, "acme", f"{clock.now():%Y-%m}")
        finally:
            local.close()
            database.dispose()
    print("\nDemo finished. Try it yourself: `hourglass console`.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
