"""Who a user is, answered without asking Slack while a request waits.

- Their timezone: the `user_profiles` row, from `users.info`, refreshed when older than a
  day. A stale row is used as it is and refreshed after the ack. Each process keeps the row
  it read for a minute (`Hourglass.profiles`), so a request reads it at most once.
- User-group membership (a policy's `@handle` role entries): kept in the process for five
  minutes (`Hourglass.group_cache`); a stale list is used and refreshed after the ack.
- A channel or a person typed by name (`#acme`, `@jane`: the console, the CLI, or Slack
  sending the text as typed): the workspace's names from conversations.list / users.list,
  kept for five minutes (`Hourglass.directory`).

Slack is asked only by `refresh_stale`, which runs after the ack and outside any
transaction; the profile it learns is written with an upsert in its own short transaction.
Before the ack a lookup Slack must answer first (a new user, a group never looked up)
raises `Unresolved` when `strict`: the request's transaction rolls back, the request is
acknowledged, and the work runs once after the lookup (handlers/common.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.text import clean
from handlers.context import Hourglass
from store.repositories.core import UserProfiles

log = logging.getLogger("hourglass." + __name__)
PROFILE_TTL = timedelta(hours=24)
T = TypeVar("T")


class Unresolved(Exception):
    """Only Slack knows the answer yet; raised before the ack, never after it. `users`:
    other people whose profiles are wanted (e.g. the engineers named in a booking), or
    names to look up (`#acme`, `@jane`)."""

    def __init__(self, what: str, users: Iterable[str] = ()) -> None:
        super().__init__(what)
        self.users = tuple(users)


def user_timezone(hg: Hourglass, db: Session, user_id: str, *, strict: bool = False) -> ZoneInfo:
    """The user's Slack timezone as cached; the provider's if unknown (or `Unresolved`)."""
    profile = cached_profile(hg, db, user_id)
    if profile is None:
        if strict:
            raise Unresolved(f"the timezone of {user_id}")
        return hg.policy.timezone
    return _zone(profile[0], hg)


def cached_profile(hg: Hourglass, db: Session, user_id: str) -> tuple[str, datetime] | None:
    """The user's (time zone, fetched at) from `user_profiles`, read at most once every
    `profile_cache_seconds` per process: a time zone changed in Slack reaches the other
    workers within that, which is harmless (docs/architecture.md, Caches). A user not
    known yet is not cached, so their first profile is seen at once."""
    hit = hg.profiles.get(user_id)
    if hit is not None and time.monotonic() - hit[0] < hg.profile_cache_seconds:
        return hit[1], hit[2]
    profile = UserProfiles.find(db, user_id)
    if profile is None:
        return None
    hg.profiles[user_id] = (time.monotonic(), profile.tz, profile.fetched_at)
    return profile.tz, profile.fetched_at


def _zone(name: str, hg: Hourglass) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return hg.policy.timezone


def group_members(hg: Hourglass, *, strict: bool = False) -> Callable[[str], set[str]]:
    """Members of a user group by `@handle`, as cached (empty, or `Unresolved`, if never
    looked up)."""

    def members(handle: str) -> set[str]:
        hit = hg.group_cache.get(handle)
        if hit is None:
            if strict:
                raise Unresolved(f"the members of {handle}")
            return set()
        return hit[1]

    return members


def policy_handles(hg: Hourglass) -> set[str]:
    roles = hg.policy.roles
    return {entry for entry in (*roles.managers, *roles.agents) if entry.startswith("@")}


def _stale_handles(hg: Hourglass) -> set[str]:
    return {handle for handle in policy_handles(hg) if hg.cached_group(handle) is None}


def refresh_stale(
    hg: Hourglass, client: WebClient, user_id: str, now: datetime, others: Iterable[str] = ()
) -> None:
    """Bring the user's profile (and `others`': people, or `#`/`@` names to look up) and
    the policy's user groups up to date where they are missing or stale. Asks Slack: call
    it after the ack, with no transaction open."""
    hit = hg.profiles.get(user_id)
    if hit is not None and time.monotonic() - hit[0] < hg.profile_cache_seconds:
        profile: tuple[str, datetime] | None = (hit[1], hit[2])
    else:
        with hg.database.session(readonly=True) as db:
            profile = cached_profile(hg, db, user_id)
    if profile is None or now - profile[1] >= PROFILE_TTL:
        refresh_profile(hg, client, user_id, now)
    names = [other for other in others if other.startswith(NAME_SIGILS)]
    for other in others:
        if other not in names:
            refresh_profile(hg, client, other, now, people_only=True)
    refresh_directory(hg, client, {name[0] for name in names})
    refresh_groups_if_stale(hg, client)


def nothing_stale(hg: Hourglass, user_id: str, now: datetime) -> bool:
    """True when `refresh_stale(hg, …, user_id, now)` is known, from this process's caches
    alone, to have nothing to do: the user's profile was read within the cache's minute and
    is younger than a day, and every policy group is fresh. Then a command hands nothing to
    after its ack (issue 11, the ack profile: a thread hand-off per request for nothing)."""
    hit = hg.profiles.get(user_id)
    if hit is None or time.monotonic() - hit[0] >= hg.profile_cache_seconds:
        return False
    return now - hit[2] < PROFILE_TTL and not _stale_handles(hg)


def refresh_groups_if_stale(hg: Hourglass, client: WebClient) -> None:
    stale = _stale_handles(hg)
    if stale:
        refresh_groups(hg, client, stale)


def refresh_profile(
    hg: Hourglass, client: WebClient, user_id: str, now: datetime, *, people_only: bool = False
) -> None:
    """users.info, stored by an upsert. `people_only`: a bot or a deactivated account is
    not stored (so it is never taken for someone who can take a session)."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as exc:
        log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
        return
    if people_only and (user.get("is_bot") or user.get("deleted")):
        return
    # Cleaned as a request's text is (handlers/inbound.py): the name is shown in replies.
    tz = clean(user.get("tz") or "") or hg.policy.timezone.key
    name = clean(user.get("real_name") or user.get("name") or "") or None
    with hg.database.session() as db:
        UserProfiles.upsert(db, user_id, tz, name, now)
    hg.profiles[user_id] = (time.monotonic(), tz, now)


def refresh_groups(hg: Hourglass, client: WebClient, handles: Iterable[str]) -> None:
    """Look the groups up; a failed lookup keeps what was known (or nobody), for a while."""
    wanted = set(handles)
    found: dict[str, set[str]] = {}
    try:
        for group in client.usergroups_list()["usergroups"]:
            handle = "@" + group.get("handle", "")
            if handle in wanted:
                found[handle] = set(client.usergroups_users_list(usergroup=group["id"])["users"])
    except SlackApiError as exc:
        log.warning("cannot resolve user groups %s: %s", sorted(wanted), exc.response.get("error"))
    stamp = time.monotonic()
    for handle in wanted:
        known = hg.group_cache.get(handle)
        members = found.get(handle, known[1] if known else set())
        hg.group_cache[handle] = (stamp, members)


def answer_now(hg: Hourglass, client: WebClient, user_id: str, attempt: Callable[[bool], T]) -> T:
    """For a modal, whose errors must be in its ack: `attempt(strict=True)` from the cache;
    only if that needs Slack (someone Hourglass has never seen submits a form as their
    first request) is Slack asked first, outside the transaction, and the attempt made
    again. Forms are opened by a command or a button, which has cached the profile."""
    try:
        return attempt(True)
    except Unresolved as missing:
        refresh_stale(hg, client, user_id, hg.clock.now(), missing.users)
        return attempt(False)


# --- names as typed: `#acme`, `@jane` ------------------------------------------------------

NAME_SIGILS = ("#", "@")
RECHECK = 30.0  # seconds after which a name not found is looked up again


def id_for_name(hg: Hourglass, typed: str, *, strict: bool = False) -> str | None:
    """The id of the channel (`#acme`) or person (`@jane`) of that name in the workspace, as
    cached; None if there is none. Not looked up yet, stale, or not found a while ago:
    `Unresolved` when `strict` (the request asks Slack after the ack), else the cached answer."""
    sigil, name = typed[0], typed[1:].lower()
    hit = hg.directory.get(sigil)
    age = time.monotonic() - hit[0] if hit else None
    found = hit[1].get(name) if hit else None
    # Stale, or a name not there a while ago (a channel made since): ask Slack again.
    recheck = age is None or age >= hg.group_cache_seconds or (found is None and age >= RECHECK)
    if recheck and strict:
        raise Unresolved(f"the id of {typed}", users=[typed])
    return found


def refresh_directory(hg: Hourglass, client: WebClient, sigils: Iterable[str]) -> None:
    """Look up the workspace's channel names (`#`) or user names (`@`). Asks Slack: after
    the ack, no transaction open. A failed lookup keeps what was known."""
    for sigil in sigils:
        try:
            names = _channel_names(client) if sigil == "#" else _user_names(client)
        except SlackApiError as exc:
            log.warning("cannot look up %s names: %s", sigil, exc.response.get("error"))
            names = (hg.directory.get(sigil) or (0.0, {}))[1]
        hg.directory[sigil] = (time.monotonic(), names)


def channel_named(client: WebClient, typed: str) -> str | None:
    """The id of the channel `#name` (for the CLI, which has no request waiting): asks Slack."""
    return _channel_names(client).get(typed.lstrip("#").lower())


def _channel_names(client: WebClient) -> dict[str, str]:
    names: dict[str, str] = {}
    for page in client.conversations_list(
        types="public_channel,private_channel", exclude_archived=False, limit=1000
    ):
        for channel in page.get("channels") or []:
            names.setdefault(str(channel.get("name", "")).lower(), channel["id"])
    return names


def _user_names(client: WebClient) -> dict[str, str]:
    names: dict[str, str] = {}
    for page in client.users_list(limit=1000):
        for user in page.get("members") or []:
            if user.get("deleted") or user.get("is_bot"):
                continue
            profile = user.get("profile") or {}
            for name in (user.get("name"), profile.get("display_name"), user.get("real_name")):
                if name:
                    names.setdefault(str(name).lower(), user["id"])
    return names
