"""App Home for an agent: quick buttons for the forms, the running call timer (with Stop),
today's calls and today's logged time; each is a function in HOME_SECTIONS. A manager sees
first the alert problems (the first few parked alerts) and the customers at risk
(bot.reports.at_risk)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.alerts import health
from bot.billing import timelog
from bot.blocks import SURFACE_BLOCKS, actions, button, paginate, section, sections
from bot.calls import calls, timers
from bot.calls.fair_use import format_call_time, format_running
from bot.policy.model import Policy, provider_today
from bot.reports.at_risk import CHART_BALANCE, at_risk_lines, forecast_risks
from bot.roles import MANAGER, role_of
from bot.units import format_minutes, plural
from handlers.commands import alerts_failed
from handlers.context import Hourglass, hourglass_of
from handlers.identity import group_members, refresh_stale, user_timezone
from handlers.views import call_form, log_time, ticket_form

log = logging.getLogger("hourglass." + __name__)

# (db, policy, user id, now, user's timezone) -> Block Kit blocks. The time-logging feature
# appends its "today's logged time" section here.
HomeSection = Callable[[Session, Policy, str, datetime, ZoneInfo], list[dict[str, Any]]]


def timer_section(
    db: Session, policy: Policy, user_id: str, now: datetime, tz: ZoneInfo
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Call timer"}}
    ]
    running = timers.timer_status(db, user_id, now)
    if running is None:
        blocks.append(
            section("No timer running. Start one with `/timer start <customer> <caller>`.")
        )
        return blocks
    block = section(
        f":stopwatch: *{running.caller}* ({running.customer}) — "
        f"{format_running(running.elapsed_seconds)} since "
        f"{running.started_at.astimezone(tz):%H:%M}"
        + (f"\n_{running.note}_" if running.note else "")
    )
    block["accessory"] = button(
        timers.ACTION_TIMER_STOP, "Stop", timers.timer_token(running.started_at), style="danger"
    )
    blocks.append(block)
    return blocks


def calls_today_section(
    db: Session, policy: Policy, user_id: str, now: datetime, tz: ZoneInfo
) -> list[dict[str, Any]]:
    todays = calls.agent_calls_today(db, user_id, tz, now)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Today's calls"}}
    ]
    if not todays:
        blocks.append(section("No calls recorded today."))
        return blocks
    lines = []
    for call, customer in todays:
        lines.append(
            f"• {call.started_at.astimezone(tz):%H:%M} {call.caller} ({customer}) — "
            f"{format_call_time(call.seconds)}"
            + (f", q{call.quality}" if call.quality else "")
            + ("" if call.covered else ", not covered")
        )
    total = sum(call.seconds for call, _ in todays)
    blocks.extend(
        _listed(lines, f"Total: {format_call_time(total)} on {plural(len(todays), 'call')}")
    )
    return blocks


def time_today_section(
    db: Session, policy: Policy, user_id: str, now: datetime, tz: ZoneInfo
) -> list[dict[str, Any]]:
    # The billing day (provider's timezone), where `/log` puts work logged today.
    entries = timelog.entries_on(db, user_id, provider_today(policy, now))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Today's logged time"}}
    ]
    if not entries:
        blocks.append(section("Nothing logged today. Log time with `/log <duration> <customer>`."))
        return blocks
    lines = [f"• {timelog.describe_entry(e, name, with_date=False)}" for e, name in entries]
    blocks.extend(_listed(lines, f"Total: {format_minutes(sum(e.minutes for e, _ in entries))}"))
    return blocks


def _listed(lines: list[str], total: str) -> list[dict[str, Any]]:
    """A day's lines in as many sections as they need, the total always last; past its share
    of App Home's 100 blocks the rest is counted, never dropped silently."""
    share = SURFACE_BLOCKS // (len(HOME_SECTIONS) + 1)
    return paginate("", lines, [total], max_blocks=share).blocks


HOME_SECTIONS: list[HomeSection] = [timer_section, calls_today_section, time_today_section]
PARKED_SHOWN = 3  # parked alerts listed on a manager's Home; the rest are counted
AT_RISK_BLOCKS, AT_RISK_CHARS = 8, 1_500  # a manager's at-risk list; past it "… and N more"
FORECAST_SHOWN = 10  # customers the forecasts flag, each with its Chart button


def manager_section(db: Session, policy: Policy, now: datetime, tz: ZoneInfo) -> list[dict]:
    """What a manager must see first: alerts that went nowhere, then customers at risk."""
    found = health.troubles(db, now)
    blocks = alerts_failed.home_blocks(len(found))
    if found:
        lines = [f"• {t.what}" for t in found[:PARKED_SHOWN]]
        if len(found) > PARKED_SHOWN:
            lines.append(f"… and {len(found) - PARKED_SHOWN} more.")
        blocks.extend(sections("\n".join(lines)))
    blocks.append({"type": "header", "text": {"type": "plain_text", "text": "Customers at risk"}})
    risky = at_risk_lines(db, policy, now, tz)
    if not risky:
        blocks.append(section("No customer is low on hours, near a block's expiry or in breach."))
    else:
        blocks.extend(
            paginate("", risky, max_blocks=AT_RISK_BLOCKS, max_chars=AT_RISK_CHARS).blocks
        )
    return [*blocks, *forecast_section(db, policy, now), {"type": "divider"}]


def forecast_section(db: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """What the forecasts see coming (issue 13): forfeit risk, SLA budget, fair-use review,
    most urgent first, one section per customer with a Chart button."""
    risks = forecast_risks(db, policy, now)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Ahead: forecasts at risk"}}
    ]
    if not risks:
        blocks.append(
            section("No block projected to forfeit, SLA budget spent or caller in review.")
        )
        return blocks
    for risk in risks[:FORECAST_SHOWN]:
        block = section(f"*{risk.customer}*\n" + "\n".join(f"• {r}" for r in risk.reasons))
        block["accessory"] = button(CHART_BALANCE, "Chart", risk.customer)
        blocks.append(block)
    if len(risks) > FORECAST_SHOWN:
        blocks.append(section(f"… and {len(risks) - FORECAST_SHOWN} more."))
    return blocks


def quick_actions() -> dict[str, Any]:
    """App Home's buttons for what an agent does most: log time, record a call and open a
    ticket (forms)."""
    return actions(
        button(log_time.ACTION_OPEN, "Log time", "home", style="primary"),
        button(call_form.ACTION_OPEN, "Record a call", "home"),
        button(ticket_form.ACTION_OPEN, "Open a ticket", "home"),
        block_id="quick_actions",
    )


def home_view(hg: Hourglass, db: Session, user_id: str, now: datetime, tz: ZoneInfo) -> dict:
    blocks: list[dict[str, Any]] = [quick_actions()]
    for home_section in HOME_SECTIONS:
        blocks.append({"type": "divider"})
        blocks.extend(home_section(db, hg.policy, user_id, now, tz))
    return {"type": "home", "blocks": blocks}


def publish_home(hg: Hourglass, client: WebClient, user_id: str) -> None:
    """Runs after the ack (handlers/later.py): the profile and groups are brought up to
    date first, outside the transaction."""
    now = hg.clock.now()
    refresh_stale(hg, client, user_id, now)
    with hg.database.session(readonly=True) as db:
        role = role_of(db, hg.policy, user_id, group_members(hg))
        view: dict[str, Any]
        if role is None:
            view = {
                "type": "home",
                "blocks": [section("Hourglass is for support agents and managers.")],
            }
        else:
            tz = user_timezone(hg, db, user_id)
            view = home_view(hg, db, user_id, now, tz)
        if role == MANAGER:
            view["blocks"][:0] = manager_section(db, hg.policy, now, tz)
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish for %s failed: %s", user_id, exc.response.get("error"))


def app_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(hourglass_of(context), client, event["user"])
