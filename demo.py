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


def chapter_calls(demo: Demo) -> None:
    from datetime import timedelta

    demo.say("Phone calls (seed 000): an agent times a call")
    start = demo.clock.now()
    demo.run("/timer start acme bob printer setup")
    demo.run("/timer start acme jane")
    demo.at(start + timedelta(minutes=16, seconds=30))
    demo.run("/timer status")
    demo.run("/timer stop q=4 fixed the driver")
    demo.say("Five calls for jane recorded after the fact: 16 + 14 + 14 + 2 + 15 = 61 minutes")
    for minutes in (16, 14, 14, 2, 15):
        demo.run(f"/call {minutes}m acme jane")
    demo.say("The clock posts the long-call and fair-use alerts, once each however often it runs")
    demo.sweep()
    demo.sweep()
    demo.say("acme has two seats, so the account's allowance is 90 minutes")
    demo.run("/balance acme")
    demo.say("A plan without phone support: the call is kept, but not covered")
    demo.run("/call 20m globex joe")
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


CHAPTERS = [chapter_foundation, chapter_calls]


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
