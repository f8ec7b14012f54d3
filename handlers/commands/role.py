"""/hourglass role add|remove|list: the team managed from Slack (issue 19 item 6).

Managers give and take the roles `hourglass role add` gives from the shell, with the same
rules (bot/roles.py): audited, and the last manager's role cannot be taken (nor made an
agent's), so the team is never left without someone who can manage it. Roles the policy
file gives are listed and only the file changes them.
"""

from __future__ import annotations

from bot import roles
from bot.parsing import InputError
from bot.roles import Member, Role
from handlers.common import CommandCall, Reply, reads
from handlers.identity import group_members
from handlers.mentions import user_from

USAGE_ADD = "/hourglass role add <@user> agent|manager"
USAGE_REMOVE = "/hourglass role remove <@user>"
USAGE_LIST = "/hourglass role list"


def _an(role: str) -> str:
    return f"an {role}" if role[:1] in "aeiou" else f"a {role}"


def _by_policy(call: CommandCall, user_id: str) -> str:
    """What the policy file still makes them, as a sentence to add ('' if nothing)."""
    members = group_members(call.hg, strict=call.strict)
    for role, entries in (
        (Role.MANAGER, call.policy.roles.managers),
        (Role.AGENT, call.policy.roles.agents),
    ):
        if roles.listed(user_id, entries, members):
            return f" They are still {_an(role)} by the policy file, which only the file changes."
    return ""


def role_add(call: CommandCall) -> Reply:
    if len(call.tokens) != 2:
        raise InputError("give a person and a role (agent or manager)")
    user_id = user_from(call, call.tokens[0])
    role = roles.parse_role(call.tokens[1])
    before = roles.add_role(
        call.db,
        call.policy,
        user_id,
        role,
        actor=call.user_id,
        now=call.now,
        group_members=group_members(call.hg, strict=call.strict),
    )
    if before == role:
        return Reply(f"Nothing changed: <@{user_id}> is already {_an(role)}.")
    was = f" (was {_an(before)})" if before else ""
    can = (
        "every command" if role == Role.MANAGER else "`/log`, `/call`, `/timer`, `/book`, `/ticket`"
    )
    return Reply(f":busts_in_silhouette: <@{user_id}> is now {_an(role)}{was}: they can use {can}.")


def role_remove(call: CommandCall) -> Reply:
    if len(call.tokens) != 1:
        raise InputError("give the person whose role to take")
    user_id = user_from(call, call.tokens[0])
    before = roles.remove_role(
        call.db,
        call.policy,
        user_id,
        actor=call.user_id,
        now=call.now,
        group_members=group_members(call.hg, strict=call.strict),
    )
    if before is None:
        return Reply(
            f"Nothing changed: <@{user_id}> has no role from `role add`."
            + _by_policy(call, user_id)
        )
    return Reply(f":wave: <@{user_id}> is no longer {_an(before)}." + _by_policy(call, user_id))


def _line(call: CommandCall, member: Member) -> str:
    who = member.who if member.who.startswith("@") else f"<@{member.who}>"
    if member.granted_by is None or member.granted_at is None:
        return f"• {who}: {member.role} (policy file)"
    by = f"<@{member.granted_by}>" if member.granted_by[:1] in "UW" else member.granted_by
    when = member.granted_at.astimezone(call.policy.timezone)
    return f"• {who}: {member.role} (added by {by} on {when:%-d %b %Y})"


@reads
def role_list(call: CommandCall) -> Reply:
    if call.tokens:
        raise InputError("`/hourglass role list` takes nothing after it")
    team = roles.team(call.db, call.policy)
    if not team:
        return Reply("Nobody has a role yet.")
    lines = "\n".join(_line(call, member) for member in team)
    return Reply(f":busts_in_silhouette: The team ({len(team)}):\n{lines}")
