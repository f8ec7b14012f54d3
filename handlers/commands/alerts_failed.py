"""/hourglass alerts failed: the channels Hourglass lost and the alerts it could not deliver,
each with its reason, for managers (bot.alerts.health)."""

from __future__ import annotations

from datetime import date, datetime

from bot.alerts import health
from bot.parsing import InputError
from bot.units import format_work_date, plural
from handlers.common import CommandCall, Reply, reads
from handlers.paging import paged_reply

USAGE = "/hourglass alerts failed"
LIST_COMMAND = "/hourglass alerts failed"


@reads
def alerts_failed(call: CommandCall) -> Reply:
    if call.tokens:
        raise InputError("`/hourglass alerts failed` takes nothing after it")
    found = health.troubles(call.db, call.now)
    if not found:
        return Reply(":white_check_mark: Every alert was delivered and no channel was lost.")
    zone = call.user_tz()
    today = call.now.astimezone(zone).date()
    items = [f"• {t.what} ({_when(t.at.astimezone(zone), today)})" for t in found]
    head = f":rotating_light: {plural(len(found), 'problem')} with alerts, oldest first:"
    return paged_reply(call, LIST_COMMAND, head, items)


def _when(local: datetime, today: date) -> str:
    """`Mon 23 Nov 09:00`, with the year when it is not this one."""
    return f"{format_work_date(local.date(), today)} {local:%H:%M}"


def home_blocks(count: int) -> list[dict]:
    """App Home for a manager: how many alert problems there are (none: nothing shown)."""
    if not count:
        return []
    return [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f":rotating_light: *{plural(count, 'alert problem')}*: a lost channel or an "
                "undelivered alert. See `/hourglass alerts failed`.",
            },
        }
    ]
