"""Nothing cut off silently (issue 17 item 3): long lists over signed HTTP, on both databases.

A list is split at line breaks into sections of at most 3,000 characters within Slack's 50
blocks; what does not fit is counted ("… and N more") and *More* answers the next page.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.billing import timelog
from bot.blocks import MESSAGE_BLOCKS, SECTION_LIMIT, SURFACE_BLOCKS
from bot.calls import calls
from bot.policy.model import provider_today
from bot.sla import tickets as ticket_service
from handlers.paging import ACTION_MORE
from store.repositories.core import Customers
from tests.harness import AGENT, MANAGER

LONDON = ZoneInfo("Europe/London")


def open_tickets(slack, count: int, subject: str) -> None:
    with slack.database.session() as db:
        acme = Customers.by_name(db, "acme")
        for n in range(1, count + 1):
            ticket_service.open_ticket(
                db,
                slack.policy,
                customer=acme,
                priority="low",
                subject=f"{subject} number {n}",
                opened_at=slack.clock.now() - timedelta(minutes=count - n),
                actor=AGENT,
                now=slack.clock.now(),
            )


def within_limits(blocks: list[dict], max_blocks: int = MESSAGE_BLOCKS) -> None:
    assert len(blocks) <= max_blocks
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_LIMIT


def section_text(blocks: list[dict]) -> str:
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


def ticket_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"• \*#(\d+)\*", text)]


def more_value(blocks: list[dict]) -> str | None:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == ACTION_MORE:
                return element["value"]
    return None


def test_fifty_tickets_are_all_listed(acme):
    open_tickets(acme, 50, "Printer queue stalls after the overnight batch run")
    reply = acme.command("/ticket list")
    blocks = reply.body["blocks"]
    within_limits(blocks)
    assert "Open tickets, oldest first: 50" in reply.text
    assert ticket_ids(section_text(blocks)) == list(range(1, 51))
    assert "more" not in reply.text and more_value(blocks) is None


def test_a_list_too_long_for_one_message_says_how_many_more_and_more_shows_them(acme):
    # Subjects at their 300-character limit: a hundred tickets outgrow one message's text.
    open_tickets(
        acme, 100, ("Export fails: " + "the nightly export stops with a timeout " * 8)[:285]
    )
    reply = acme.command("/ticket list")
    blocks = reply.body["blocks"]
    within_limits(blocks)
    seen = ticket_ids(section_text(blocks))
    assert 0 < len(seen) < 100
    assert f"… and {100 - len(seen)} more (shown: 1–{len(seen)} of 100)." in reply.text
    value = more_value(blocks)
    assert value is not None
    pages = 1
    while value is not None:
        before = len(acme.standin.responses)
        assert acme.action(ACTION_MORE, value).status == 200
        (page,) = acme.standin.responses[before:]
        assert page["response_type"] == "ephemeral" and page["replace_original"] is False
        within_limits(page["blocks"])
        seen += ticket_ids(section_text(page["blocks"]))
        value = more_value(page["blocks"])
        pages += 1
    assert seen == list(range(1, 101))  # each once, in order, the last one included
    assert pages >= 2


def test_more_is_refused_to_someone_without_a_role(acme):
    value = json.dumps({"command": "/ticket list", "text": "", "from": 1})
    acme.action(ACTION_MORE, value, user="USTRANGER")
    assert "#1" not in json.dumps(acme.standin.responses)


def test_thirty_log_entries_show_the_last_ones(acme):
    today = provider_today(acme.policy, acme.clock.now())
    with acme.database.session() as db:
        for n in range(1, 31):
            request = timelog.parse_log(
                ["5m", "acme", f"checked the mail relay settings, round {n} of the audit"],
                acme.policy,
                today,
            )
            timelog.log_time(db, acme.policy, request, agent_id=AGENT, now=acme.clock.now())
    reply = acme.command("/log list")
    blocks = reply.body["blocks"]
    within_limits(blocks)
    text = section_text(blocks)
    assert "2h 30m in 30 entries" in text
    assert "• #29 " in text and "• #30 " in text  # the one `/log undo` removes
    assert more_value(blocks) is None


def test_app_home_with_a_hundred_calls_keeps_its_total(acme):
    with acme.database.session() as db:
        acme_row = Customers.by_name(db, "acme")
        for n in range(100):
            calls.record_call(
                db,
                acme.policy,
                customer=acme_row,
                caller=f"caller{n:03d}",
                agent_id=AGENT,
                duration=timedelta(minutes=1),
                on=None,
                user_tz=LONDON,
                quality=None,
                note=None,
                now=acme.clock.now() - timedelta(seconds=100 - n),
            )
    acme.command("/hourglass help", MANAGER)
    assert acme.event({"type": "app_home_opened", "user": AGENT, "tab": "home"}).status == 200
    view = acme.standin.calls_to("views.publish")[-1].params["view"]
    within_limits(view["blocks"], SURFACE_BLOCKS)
    text = section_text(view["blocks"])
    assert "caller099" in text
    assert "on 100 calls" in text
