"""The start-up check of policy versions (issue 16): the file's versions are compared with
those recorded at the last start, and a change that would alter a day already past stops
Hourglass with one line naming the key and the day.

Adding a version, or changing one not yet in force, is recorded (the rows before it are kept,
superseded, as the audit). What "already past" means, key by key, is
`bot.policy.versions.past_change`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.errors import ConfigError
from bot.policy.model import Policy, provider_today
from bot.policy.versions import describe_refusal, past_change, recorded_history
from store.repositories.policy import PolicyVersions

STARTUP = "start-up"


def check_recorded(db: Session, policy: Policy, now: datetime) -> None:
    """Record the policy's versions, or raise ConfigError if the file changed the past."""
    if policy.history is None:
        return
    current = recorded_history(policy.history)
    recorded = PolicyVersions.current(db)
    if recorded == current:
        return
    if recorded:
        change = past_change(recorded, current, provider_today(policy, now))
        if change is not None:
            raise ConfigError(describe_refusal(policy.source, *change))
    PolicyVersions.record(db, current, now=now, by=STARTUP)
