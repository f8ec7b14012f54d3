"""Roles from the policy file (user IDs and user-group handles) and from `hourglass role add`."""

from __future__ import annotations

from dataclasses import replace

from bot.roles import grant, revoke, role_of
from tests.harness import SlackApp


def test_a_user_group_handle_in_the_policy_grants_the_role(database, policy, standin, clock):
    policy = replace(policy, roles=replace(policy.roles, managers=("@support-leads",)))
    standin.usergroups["S0LEADS"] = ("support-leads", ["ULEAD0001"])
    standin.add_user("ULEAD0001", "lee")
    app = SlackApp(database, policy, standin, clock)
    try:
        reply = app.command("/hourglass customer add acme plan=lite", "ULEAD0001")
        assert "Added customer *acme*" in reply.text
        refused = app.command("/hourglass customer add other plan=lite", "UNOTLEAD1")
        assert refused.text.startswith(":no_entry:")
    finally:
        app.close()


def test_highest_role_wins_and_revoking_leaves_policy_roles(database, policy, clock):
    policy = replace(policy, roles=replace(policy.roles, agents=("UAGENT123",)))
    with database.session() as db:
        assert role_of(db, policy, "UAGENT123") == "agent"
        grant(db, "UAGENT123", "manager", "test", clock.now())
        assert role_of(db, policy, "UAGENT123") == "manager"
        assert revoke(db, "UAGENT123") is True
        assert role_of(db, policy, "UAGENT123") == "agent"
        assert role_of(db, policy, "UNOBODY12") is None
