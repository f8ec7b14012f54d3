"""The one way a slash command or a button click runs: role check, parse, call bot/, reply.

A refused command raises before anything is committed, so it changes nothing; the error
becomes a reply in one place, the Slack edge (handlers/edge.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.blocks import sections
from bot.parsing import InputError
from bot.policy.model import Policy
from bot.roles import require
from handlers.context import Hourglass, hourglass_of
from store.repositories.core import UserProfiles

log = logging.getLogger("hourglass." + __name__)
PROFILE_TTL = timedelta(hours=24)
T = TypeVar("T")


@dataclass
class Reply:
    text: str
    blocks: list[dict[str, Any]] | None = None
    # Slack calls to make once the command's transaction has committed, so slow I/O never
    # holds the database; each returns a line to add to the reply (or None).
    after_commit: list[Callable[[], str | None]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "response_type": "ephemeral",
            "text": self.text,
            "blocks": self.blocks or text_blocks(self.text),
        }


def text_blocks(text: str, context: str | None = None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = sections(text)
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return blocks


def error_reply(message: str, usage: str | None) -> Reply:
    message = message[:1].upper() + message[1:]
    text = (
        f":warning: {message}." if not message.endswith((".", "?", "!")) else f":warning: {message}"
    )
    if usage:
        return Reply(f"{text}\nUsage: `{usage}`", text_blocks(text, f"Usage: `{usage}`"))
    return Reply(text)


@dataclass
class CommandCall:
    """One slash command, with what a handler needs to serve it."""

    hg: Hourglass
    db: Session
    client: WebClient
    user_id: str
    channel_id: str
    text: str
    now: datetime
    role: str
    tokens: list[str] = field(default_factory=list)
    trigger_id: str = ""  # lets a command open a modal
    page_from: int = 0  # a long list's *More* button asks for the page from this item

    @property
    def policy(self) -> Policy:
        return self.hg.policy

    def user_tz(self) -> ZoneInfo:
        return user_timezone(self.hg, self.db, self.client, self.user_id, self.now)


def user_timezone(
    hg: Hourglass, db: Session, client: WebClient, user_id: str, now: datetime
) -> ZoneInfo:
    """The user's Slack timezone (users.info, cached a day); the provider's if unknown."""
    profile = UserProfiles.find(db, user_id)
    if profile is not None and now - profile.fetched_at < PROFILE_TTL:
        return _zone(profile.tz, hg)
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as exc:
        log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
        return _zone(profile.tz, hg) if profile is not None else hg.policy.timezone
    tz = user.get("tz") or hg.policy.timezone.key
    UserProfiles.upsert(db, user_id, tz, user.get("real_name") or user.get("name"), now)
    return _zone(tz, hg)


def _zone(name: str, hg: Hourglass) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return hg.policy.timezone


def group_members(hg: Hourglass, client: WebClient) -> Callable[[str], set[str]]:
    """Resolve a policy's `@handle` role entries through the user-groups API."""

    def members(handle: str) -> set[str]:
        cached = hg.cached_group(handle)
        if cached is not None:
            return cached
        found: set[str] = set()
        try:
            groups = client.usergroups_list()["usergroups"]
            for group in groups:
                if "@" + group.get("handle", "") == handle:
                    found = set(client.usergroups_users_list(usergroup=group["id"])["users"])
        except SlackApiError as exc:
            log.warning("cannot resolve user group %s: %s", handle, exc.response.get("error"))
        hg.group_cache[handle] = (time.monotonic(), found)
        return found

    return members


Handler = Callable[[CommandCall], Reply]


def run_command(
    *,
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    handler: Handler,
    role: str,
    usage: str | None,
) -> None:
    """Serve one slash command: the whole command is one transaction. A refusal raises
    out of here; the edge answers it with `usage` under the message."""
    hg = hourglass_of(context)
    now = hg.clock.now()
    text = (command.get("text") or "").strip()
    context["usage"] = as_typed(usage, command.get("command"))
    with hg.database.session() as db:
        granted = require(db, hg.policy, command["user_id"], role, group_members(hg, client))
        call = CommandCall(
            hg=hg,
            db=db,
            client=client,
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
            text=text,
            now=now,
            role=granted,
            tokens=text.split(),
            trigger_id=command.get("trigger_id", ""),
        )
        reply = handler(call)
    for followup in reply.after_commit:
        line = followup()
        if line:
            reply = Reply(f"{reply.text}\n{line}", None)
    ack(**reply.payload())


def as_typed(usage: str | None, command: str | None) -> str | None:
    """The usage line under the command the user typed: `/log …` reached through `/hourglass
    log …` is shown as `/hourglass log …` (the workspace may not have `/log` at all)."""
    if not usage or not command or usage.split()[0] == command:
        return usage
    return f"{command} {usage.removeprefix('/')}"


@dataclass
class ActionCall:
    """One button click, with what a handler needs to serve it."""

    hg: Hourglass
    db: Session
    client: WebClient
    user_id: str
    value: str
    now: datetime
    body: dict[str, Any]

    @property
    def policy(self) -> Policy:
        return self.hg.policy


def run_action(
    *,
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    handler: Callable[[ActionCall], T],
    role: str = "agent",
) -> T:
    """Serve one button click like a slash command: acknowledge at once, check the role,
    run the handler in one transaction. Returns the text to tell the user; a refusal
    raises out of here (nothing is recorded) and the edge tells the user why."""
    ack()
    hg = hourglass_of(context)
    user_id = body["user"]["id"]
    value = (body.get("actions") or [{}])[0].get("value", "")
    with hg.database.session() as db:
        require(db, hg.policy, user_id, role, group_members(hg, client))
        call = ActionCall(hg, db, client, user_id, value, hg.clock.now(), body)
        return handler(call)


Route = tuple[Handler, str, str | None]
Listener = Callable[[Ack, dict[str, Any], WebClient, BoltContext], None]


def subcommands(
    routes: Mapping[str, Route], help_text: str, *, fallback: Route | None = None
) -> Listener:
    """A listener that routes `/cmd word …` to a handler by its first word(s).

    routes: words -> (handler, role needed, usage line); the key "" serves an empty command.
    fallback: the route for text that starts with no known word (e.g. `/log 30m acme`);
    without one, such text is refused with `help_text`.
    """

    def listener(
        ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        text = (command.get("text") or "").strip()
        words = text.split()
        route, rest = None, text
        for size in (2, 1):
            key = " ".join(words[:size]).lower()
            if len(words) >= size and key in routes:
                # The rest as typed, so free text (notes, subjects) keeps its spacing.
                parts = text.split(maxsplit=size)
                route, rest = routes[key], parts[size] if len(parts) > size else ""
                break
        if route is None and not words and "" in routes:
            route = routes[""]
        if route is None and fallback is not None:
            route = fallback
        if route is None:

            def unknown(call: CommandCall) -> Reply:
                said = " ".join(words[:2]) or "(nothing)"
                raise InputError(f"I don't know `{said}`. {help_text}")

            route = (unknown, "agent", None)
        handler, role, usage = route
        run_command(
            ack=ack,
            command={**command, "text": rest},
            client=client,
            context=context,
            handler=handler,
            role=role,
            usage=usage,
        )

    return listener
