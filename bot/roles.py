"""Who may do what: agents use the everyday commands, managers everything."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.errors import Conflict, InputError
from bot.errors import PermissionDenied as PermissionDenied
from bot.policy.model import Policy
from store.repositories.audit import AuditLog
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
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")


def listed(user_id: str, entries: tuple[str, ...], group_members: GroupMembers | None) -> bool:
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
    stored = Roles.role_of(db, user_id)
    if stored is not None:
        found.append(Role(stored))
    if listed(user_id, policy.roles.managers, group_members):
        found.append(Role.MANAGER)
    elif listed(user_id, policy.roles.agents, group_members):
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


# --- the team managed from Slack and the CLI (issue 19 item 6), audited ----------------------


def parse_user_id(text: str) -> str:
    """A Slack user id as typed (`U0123ABCD`); anything else is refused."""
    if not _USER_ID.match(text):
        raise InputError(f"`{text}` is not a Slack user (mention them with @, or give a U… id)")
    return text


def parse_role(text: str) -> Role:
    if text.lower() not in set(Role):
        raise InputError(f"`{text}` is not a role (agent or manager)")
    return Role(text.lower())


def _policy_managers(policy: Policy, besides: str, group_members: GroupMembers | None) -> bool:
    """Whether the policy file makes anyone but `besides` a manager. A group handle counts
    when its members are unknown (the CLI cannot ask Slack), so the rule never locks out a
    team whose managers come from a group."""
    for entry in policy.roles.managers:
        if not entry.startswith("@"):
            if entry != besides:
                return True
        elif group_members is None or group_members(entry) - {besides}:
            return True
    return False


def _check_a_manager_stays(
    db: Session, policy: Policy, user_id: str, group_members: GroupMembers | None
) -> None:
    """Refuse a change that would leave nobody able to manage the team."""
    if listed(user_id, policy.roles.managers, group_members):
        return  # still a manager by the policy file
    stored = any(r.user_id != user_id and r.role == Role.MANAGER for r in Roles.all(db))
    if stored or _policy_managers(policy, user_id, group_members):
        return
    raise Conflict(
        f"<@{user_id}> is the last manager: make someone else a manager first "
        "(`/hourglass role add <@user> manager`)"
    )


def add_role(
    db: Session,
    policy: Policy,
    user_id: str,
    role: Role | str,
    *,
    actor: str,
    now: datetime,
    group_members: GroupMembers | None = None,
    keep_a_manager: bool = True,
) -> str | None:
    """Give `user_id` the role (replacing the one they had from `role add`), audited.
    Making the last manager an agent is refused (`keep_a_manager`; the shell, which can
    always make one again, may). Returns the stored role before."""
    role = parse_role(str(role))
    existing = Roles.find(db, user_id)
    before = existing.role if existing is not None else None
    if before == role:
        return before
    if before == Role.MANAGER and keep_a_manager:
        _check_a_manager_stays(db, policy, user_id, group_members)
    Roles.set(db, user_id, role, actor, now)
    AuditLog.record(
        db,
        actor=actor,
        action="role.add",
        subject_kind="user",
        subject_id=user_id,
        at=now,
        before={"role": before},
        after={"role": str(role)},
    )
    return before


def remove_role(
    db: Session,
    policy: Policy,
    user_id: str,
    *,
    actor: str,
    now: datetime,
    group_members: GroupMembers | None = None,
    keep_a_manager: bool = True,
) -> str | None:
    """Take away the role `role add` gave, audited; the last manager's is refused (unless
    not `keep_a_manager`: the shell). Returns the role taken (None: they had none)."""
    existing = Roles.find(db, user_id)
    if existing is None:
        return None
    before = existing.role
    if before == Role.MANAGER and keep_a_manager:
        _check_a_manager_stays(db, policy, user_id, group_members)
    Roles.remove(db, user_id)
    AuditLog.record(
        db,
        actor=actor,
        action="role.remove",
        subject_kind="user",
        subject_id=user_id,
        at=now,
        before={"role": before, "granted_by": existing.granted_by},
        after={"role": None},
    )
    return before


@dataclass(frozen=True)
class Member:
    """One line of the team: who, their role, and where it comes from."""

    who: str  # a user id, or a group handle (`@support-leads`)
    role: Role
    granted_by: str | None  # None: the policy file
    granted_at: datetime | None


def team(db: Session, policy: Policy) -> list[Member]:
    """Everyone with a role: from `role add` (who gave it, when), then the policy file."""
    members = [Member(r.user_id, Role(r.role), r.granted_by, r.granted_at) for r in Roles.all(db)]
    for role, entries in ((Role.MANAGER, policy.roles.managers), (Role.AGENT, policy.roles.agents)):
        members.extend(Member(entry, role, None, None) for entry in entries)
    return members
