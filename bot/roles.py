"""Who may do what: agents use the everyday commands, managers everything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.errors import PermissionDenied as PermissionDenied
from bot.policy.model import Policy
from store.repositories.core import Roles

AGENT = "agent"
MANAGER = "manager"
RANKS = {AGENT: 1, MANAGER: 2}

GroupMembers = Callable[[str], set[str]]


def _listed(user_id: str, entries: tuple[str, ...], group_members: GroupMembers | None) -> bool:
    for entry in entries:
        if entry == user_id:
            return True
        if entry.startswith("@") and group_members is not None and user_id in group_members(entry):
            return True
    return False


def role_of(
    db: Session, policy: Policy, user_id: str, group_members: GroupMembers | None = None
) -> str | None:
    """The highest role the user has from the policy file or `hourglass role add`."""
    found = []
    stored = Roles.get(db, user_id)
    if stored is not None:
        found.append(stored.role)
    if _listed(user_id, policy.roles.managers, group_members):
        found.append(MANAGER)
    elif _listed(user_id, policy.roles.agents, group_members):
        found.append(AGENT)
    return max(found, key=RANKS.__getitem__, default=None)


def require(
    db: Session,
    policy: Policy,
    user_id: str,
    needed: str,
    group_members: GroupMembers | None = None,
) -> str:
    role = role_of(db, policy, user_id, group_members)
    if role is None:
        raise PermissionDenied(
            "Sorry, only support agents and managers can use Hourglass. "
            "A manager can add you with `hourglass role add <your-user-id> agent`."
        )
    if RANKS[role] < RANKS[needed]:
        raise PermissionDenied(f"Sorry, only managers can do that (you are an {role}).")
    return role


def grant(db: Session, user_id: str, role: str, granted_by: str, now: datetime) -> None:
    if role not in RANKS:
        raise ValueError(f"unknown role {role!r} (agent or manager)")
    Roles.set(db, user_id, role, granted_by, now)


def revoke(db: Session, user_id: str) -> bool:
    return Roles.remove(db, user_id)
