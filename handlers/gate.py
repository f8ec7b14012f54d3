"""The gate (issue 18 item 6): before any listener runs, a signed request is refused if it
comes from another Slack workspace or if its signature was already served.

Bolt has checked the signature and its timestamp (at most five minutes from now) before
the gate runs. What that check lets through, the gate closes:

- **strangers**: the request's workspace (`context.team_id`, which for a shared channel's
  event is the installation's workspace) must be the installed one: `SLACK_TEAM_ID`, else
  the workspace the bot token belongs to (`auth.test`, asked once at start). Refused as a
  `PermissionDenied`, answered by the edge like any refusal, and one log line.
- **replays**: every signature served is remembered (`seen_requests`, a unique key, in
  `Database.requests()`: on SQLite a file of its own, so a read never waits for the
  database's write lock); the same signature again is refused with 401 and one log line,
  nothing recorded. Slack's own retries of an event are signed again when sent, so they
  pass here and are deduplicated by their event id as before. The clock forgets
  signatures older than `FORGET_AFTER` (`forget_seen`): by then their timestamp fails
  Bolt's check anyway.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from slack_bolt import BoltContext, BoltRequest
from slack_bolt.response import BoltResponse

from bot.errors import PermissionDenied
from handlers.context import hourglass_of
from store.db import Database
from store.repositories.requests import SeenRequests

log = logging.getLogger("hourglass.requests")

# Bolt accepts a timestamp up to five minutes either side of now, so a signature can pass
# for ten minutes at most; remembering it a little longer loses nothing.
FORGET_AFTER = timedelta(minutes=15)


def stranger_text(team: str | None) -> str:
    return f"This Hourglass serves another Slack workspace, not {team or 'yours'}"


def installed_team(context: BoltContext) -> str | None:
    """SLACK_TEAM_ID, else the token's workspace as Bolt's auth.test found it at start."""
    configured = hourglass_of(context).team_id
    if configured:
        return configured
    authorized = context.authorize_result
    return authorized.team_id if authorized is not None else None


def header(request: BoltRequest, name: str) -> str:
    values = request.headers.get(name) or []
    return str(values[0]) if values else ""


def signed_at(request: BoltRequest) -> datetime | None:
    """The instant Slack signed the request with (X-Slack-Request-Timestamp), if any."""
    text = header(request, "x-slack-request-timestamp")
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def signature_key(request: BoltRequest) -> str | None:
    """The SHA-256 of the request's signature, which covers its timestamp and body."""
    signature = header(request, "x-slack-signature")
    return hashlib.sha256(signature.encode()).hexdigest() if signature else None


def gate(
    context: BoltContext,
    request: BoltRequest,
    next: Callable[[], None],  # noqa: A002 - Bolt's name
) -> BoltResponse | None:
    """A Bolt global middleware: strangers, then replays; anything else goes on."""
    installed, team = installed_team(context), context.team_id
    if installed and team != installed:
        refused("stranger", f"team {team} is not {installed}", request, context)
        raise PermissionDenied(stranger_text(team))
    key, at = signature_key(request), signed_at(request)
    if key is not None and at is not None:
        with hourglass_of(context).database.requests() as db:
            first = SeenRequests.remember(db, key, at)
        if not first:
            refused("replay", "signature already served", request, context)
            return BoltResponse(status=401, body={"error": "invalid request"})
    next()
    return None


def refused(reason: str, detail: str, request: BoltRequest, context: BoltContext) -> None:
    fields = {
        "kind": "gate",
        "target": reason,
        "user": context.user_id or "",
        "team": context.team_id or "",
        "outcome": "refused",
        "ref": context.get("request_id", ""),
    }
    context["outcome"] = "refused"
    log.warning(
        "refused %s: %s user=%s team=%s ref=%s",
        reason,
        detail,
        fields["user"],
        fields["team"],
        fields["ref"],
        extra=fields,
    )


def forget_seen(database: Database, now: datetime) -> int:
    """The clock's job: forget signatures too old to pass Bolt's timestamp check."""
    with database.requests() as db:
        return SeenRequests.forget_before(db, now - FORGET_AFTER)
