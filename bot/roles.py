"""Who may do what: agents use the everyday commands, managers everything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.errors import PermissionDenied as PermissionDenied
from bot.policy.model import Policy
from store.repositories.core import Roles


class Role(StrEnum):
    """A user's role; stored and typed as its value (`hourglass role add U… agent`)."""

    AGENT = "agent"
    MANAGER = "manager"


# The names every command handler passes as the role it needs.
AGENT = Role.AGENT
MANAGER = Role.MANAGER
RANKS = {Role.AGENT: 1, Role.MANAGER: 2}

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
) -> Role | None:
    """The highest role the user has from the policy file or `hourglass role add`."""
    found = []
    stored = Roles.find(db, user_id)
    if stored is not None:
        found.append(Role(stored.role))
    if _listed(user_id, policy.roles.managers, group_members):
        found.append(Role.MANAGER)
    elif _listed(user_id, policy.roles.agents, group_members):
        found.append(Role.AGENT)
    return max(found, key=RANKS.__getitem__, default=None)


def require(
    db: Session,
    policy: Policy,
    user_id: str,
    needed: Role | str,
    group_members: GroupMembers | None = None,
) -> Role:
    role = role_of(db, policy, user_id, group_members)
    if role is None:
        raise PermissionDenied(
            "Sorry, only support agents and managers can use Hourglass. Ask a manager to run "
            f"`/hourglass role add <@{user_id}> agent` (your id is {user_id})."
        )
    if RANKS[role] < RANKS[Role(needed)]:
        raise PermissionDenied(f"Sorry, only managers can do that (you are an {role}).")
    return role


def grant(db: Session, user_id: str, role: Role | str, granted_by: str, now: datetime) -> None:
    if role not in set(Role):
        raise ValueError(f"unknown role {role!r} (agent or manager)")
    Roles.set(db, user_id, Role(role), granted_by, now)


def revoke(db: Session, user_id: str) -> bool:
    return Roles.remove(db, user_id)
