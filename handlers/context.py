"""What every listener needs, put on Bolt's context by one middleware."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from slack_bolt import BoltContext

from bot.clock import Clock
from bot.policy.model import Policy
from handlers.later import Later
from store.db import Database


@dataclass
class Hourglass:
    database: Database
    # The policy file as loaded: every version, with the newest (which may not be in force
    # yet) at its head. Requests read `policy`, the version in force now.
    policy_file: Policy
    clock: Clock
    # The installed workspace (SLACK_TEAM_ID, or auth.test's at start); None: the token's
    # workspace as Bolt's own auth.test found it (handlers/gate.py)
    team_id: str | None = None
    # user-group handle -> (fetched at, members); membership changes rarely
    group_cache: dict[str, tuple[float, set[str]]] = field(default_factory=dict)
    group_cache_seconds: float = 300.0
    # "#" (channel names) and "@" (user names) -> (fetched at, name -> id), for what people
    # type as `#acme` or `@jane` where Slack sent no mention (handlers/identity.py)
    directory: dict[str, tuple[float, dict[str, str]]] = field(default_factory=dict)
    # user id -> (cached at, time zone, profile fetched at): the `user_profiles` row as last
    # read, for `profile_cache_seconds` (handlers/identity.py; see docs/architecture.md, Caches)
    profiles: dict[str, tuple[float, str, datetime]] = field(default_factory=dict)
    profile_cache_seconds: float = 60.0
    # what runs after the ack (handlers/later.py)
    later: Later = field(default_factory=Later)

    @property
    def policy(self) -> Policy:
        """The policy version in force now (issue 16): a version dated from a day to come
        changes nothing before that day. Rules about an earlier moment (a work date, the
        day a ticket opened) read their own version with `policy.at(...)`."""
        return self.policy_file.at(self.clock.now())

    def cached_group(self, handle: str) -> set[str] | None:
        hit = self.group_cache.get(handle)
        if hit and time.monotonic() - hit[0] < self.group_cache_seconds:
            return hit[1]
        return None


def hourglass_of(context: BoltContext) -> Hourglass:
    """The services the edge's middleware put on this request's context."""
    hg: Hourglass = context["hourglass"]
    return hg
