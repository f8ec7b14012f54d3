"""/hourglass history [customer|@user] [YYYY-MM]: the corrections made from Slack and the
CLI (managers), newest first, in pages with *More*; one line each, in plain words
(bot.reports.history): `Fri 20 Nov 10:02 @alex undid time entry #12 (3h 1-on-1 for acme …)`.

A customer lists the changes to that customer's records; `@user` the changes that person
made, and the roles given to or taken from them; a month narrows either (or all) to that
calendar month in the provider's timezone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot import customers as customer_service
from bot.parsing import InputError, parse_mention, parse_month
from bot.reports import history
from handlers.common import CommandCall, Reply, reads
from handlers.mentions import user_from
from handlers.paging import paged_reply
from store.models import Customer

USAGE = "/hourglass history [customer|@user] [YYYY-MM]"
LIST_COMMAND = "/hourglass history"
_USER_LIKE = re.compile(r"^[UW][A-Z0-9]{2,31}$")


@dataclass(frozen=True)
class Wanted:
    customer: Customer | None = None
    user_id: str | None = None
    month: tuple[int, int] | None = None


def _is_user(token: str) -> bool:
    mention = parse_mention(token)
    if mention is not None:
        return mention.kind == "user"
    return token.startswith("@") or bool(_USER_LIKE.match(token))


def parse_wanted(call: CommandCall) -> Wanted:
    """At most one customer or person, and at most one month, in either order."""
    if len(call.tokens) > 2:
        raise InputError("give at most a customer or an @person, and a month")
    customer, user_id, month = None, None, None
    for token in call.tokens:
        if token[:1].isdigit():
            if month is not None:
                raise InputError("give one month")
            month = parse_month(token)
        elif customer is not None or user_id is not None:
            raise InputError("give a customer or an @person, not both")
        elif _is_user(token):
            user_id = user_from(call, token)
        else:
            customer = customer_service.get_customer(call.db, token)
    return Wanted(customer, user_id, month)


def _scope(wanted: Wanted) -> str:
    scope = ""
    if wanted.customer is not None:
        scope += f" to *{wanted.customer.name}*"
    if wanted.user_id is not None:
        scope += f" by or to <@{wanted.user_id}>"
    if wanted.month is not None:
        scope += f" in {date(*wanted.month, 1):%B %Y}"
    return scope


@reads
def history_(call: CommandCall) -> Reply:
    wanted = parse_wanted(call)
    rows = history.changes(
        call.db,
        call.policy,
        customer_id=wanted.customer.id if wanted.customer else None,
        user_id=wanted.user_id,
        month=wanted.month,
    )
    scope = _scope(wanted)
    if not rows:
        return Reply(f"No corrections{scope}{'' if wanted.month else ' yet'}.")
    tail = []
    if len(rows) > history.MAX_SHOWN:
        rows = rows[: history.MAX_SHOWN]
        tail.append(
            f"_Only the latest {history.MAX_SHOWN} are listed; give a month for older ones._"
        )
    zone = call.user_tz()
    today = call.now.astimezone(zone).date()
    names = history.customer_names(call.db)
    items = [f"• {history.describe(row, names, zone, today)}" for row in rows]
    head = f":scroll: Corrections{scope}, newest first: {len(rows)}"
    return paged_reply(call, LIST_COMMAND, head, items, tail)
