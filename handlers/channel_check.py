"""A customer's channel, checked with Slack once the customer is written.

`/hourglass customer add … channel=<#…>` used to make no Slack call at all: a private channel
the app is not in was accepted, and every alert then failed with `not_in_channel`. The check
runs after the command's transaction has committed (never while it holds the database):
conversations.info, then

- archived: refused; the customer just added is taken back (or, if already in use, kept
  without a channel of its own);
- public and the app not in it: conversations.join (scope `channels:join`);
- private and the app not in it (Slack answers `channel_not_found`): how to `/invite` it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot import customers as customer_service
from handlers.context import Hourglass

log = logging.getLogger("hourglass." + __name__)


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") if exc.response is not None else exc)


def invite_line(channel_id: str) -> str:
    return (
        f":lock: I can't see <#{channel_id}>: it is private (or gone). Invite me there with "
        f"`/invite @Hourglass`, or alerts to it will fail (`/hourglass alerts failed` lists them)."
    )


def channel_checker(
    hg: Hourglass,
    client: WebClient,
    *,
    customer: str,
    channel_id: str,
    on_archived: Callable[[], str] | None = None,
) -> Callable[[], str | None]:
    """The after-commit step of `customer add` (and `edit`): a line for the reply saying
    what Slack said. An archived channel is refused by `on_archived` (by default: the
    customer just added is taken back)."""

    def check() -> str:
        try:
            info = client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as exc:
            if _error(exc) == "channel_not_found":
                return invite_line(channel_id)
            log.warning("conversations.info %s failed: %s", channel_id, _error(exc))
            return (
                f":warning: I could not check <#{channel_id}> just now (`{_error(exc)}`); "
                "if alerts there fail, `/hourglass alerts failed` will list them."
            )
        if info.get("is_archived"):
            return on_archived() if on_archived else refuse_archived(hg, customer, channel_id)
        if info.get("is_member"):
            return f"I'm in <#{channel_id}>, so alerts can be posted there."
        if info.get("is_private"):
            return invite_line(channel_id)
        return join(client, channel_id)

    return check


def join(client: WebClient, channel_id: str) -> str:
    try:
        client.conversations_join(channel=channel_id)
    except SlackApiError as exc:
        log.warning("conversations.join %s failed: %s", channel_id, _error(exc))
        return (
            f":warning: I could not join <#{channel_id}> (`{_error(exc)}`): invite me there "
            "with `/invite @Hourglass`."
        )
    return f":inbox_tray: I joined <#{channel_id}> so that alerts can be posted there."


def refuse_archived(hg: Hourglass, customer: str, channel_id: str) -> str:
    try:
        with hg.database.session() as db:
            withdrawn = customer_service.withdraw_customer(db, customer, channel_id)
    except IntegrityError:
        withdrawn = False
    if withdrawn:
        return (
            f":no_entry: <#{channel_id}> is archived, so *{customer}* was not added after all. "
            "Add it again with a live channel."
        )
    with hg.database.session() as db:
        customer_service.detach_channel(db, customer, channel_id)
    return (
        f":no_entry: <#{channel_id}> is archived, so *{customer}* keeps no channel of its own: "
        "its alerts go to the team's alert channel."
    )
