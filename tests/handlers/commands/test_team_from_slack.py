"""The team managed from Slack, channels named as people type them, and no alert sent
nowhere (issue 19 items 6 and 7), over signed HTTP on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import app as hourglass_app
from bot import roles
from bot.alerts.outbox import NOWHERE
from handlers.local.console import LocalSlack
from store.models import Alert, AuditEntry, Customer, Role
from tests import factories
from tests.harness import AGENT, MANAGER, ROOT, STRANGER, run_cli, view_submission

README_EXAMPLE = "/hourglass customer add acme plan=professional channel=#acme"
README_STEPS = (
    "/hourglass customer add acme plan=professional channel=#acme seats=2",
    "/hourglass hours add acme 10",
)


def role_of(database, user: str) -> str | None:
    with database.session() as db:
        row = db.get(Role, user)
        return row.role if row else None


def channel_of(database, name: str) -> str | None:
    with database.session() as db:
        return db.scalar(select(Customer.channel_id).where(Customer.name == name))


def add_acme(slack) -> None:
    with slack.database.session() as db:
        factories.customer(
            db, slack.policy, "acme", team=factories.ACME_TEAM, now=slack.clock.now()
        )


# --- item 6: roles from Slack ----------------------------------------------------------------


def test_a_manager_adds_an_agent_from_slack_and_the_agent_can_then_log(slack):
    add_acme(slack)
    assert slack.command("/log 30m acme", STRANGER).text.startswith(":no_entry:")
    reply = slack.command(f"/hourglass role add <@{STRANGER}|sam> agent", MANAGER)
    assert reply.text == (
        f":busts_in_silhouette: <@{STRANGER}> is now an agent: they can use `/log`, `/call`, "
        "`/timer`, `/book`, `/ticket`."
    )
    logged = slack.command("/log 30m acme", STRANGER)
    assert ":no_entry:" not in logged.text and "30m" in logged.text
    with slack.database.session() as db:
        change = db.scalar(select(AuditEntry).where(AuditEntry.subject_id == STRANGER))
        assert (change.actor, change.action, change.after) == (
            MANAGER,
            "role.add",
            {"role": "agent"},
        )
        assert change.at == slack.clock.now()
    listed = slack.command("/hourglass role list", MANAGER).text
    assert f"• <@{STRANGER}>: agent (added by <@{MANAGER}> on 20 Nov 2026)" in listed


def test_the_last_manager_cannot_remove_themselves_nor_become_an_agent(slack):
    for line in (f"/hourglass role remove <@{MANAGER}>", f"/hourglass role add {MANAGER} agent"):
        reply = slack.command(line, MANAGER)
        assert f"<@{MANAGER}> is the last manager: make someone else a manager first" in (
            reply.text
        )
        assert role_of(slack.database, MANAGER) == "manager"
    # a raw user id is accepted as well as a mention
    assert "is now a manager (was an agent)" in (
        slack.command(f"/hourglass role add {AGENT} manager", MANAGER).text
    )
    reply = slack.command(f"/hourglass role remove <@{MANAGER}|maya>", MANAGER)
    assert reply.text == f":wave: <@{MANAGER}> is no longer a manager."
    assert role_of(slack.database, MANAGER) is None
    with slack.database.session() as db:
        actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["role.add", "role.remove"]  # the refusals recorded nothing


@pytest.mark.parametrize("line", ["role add USTRANGER agent", "role remove UMANAGER1", "role list"])
def test_an_agent_cannot_manage_the_team(slack, line):
    reply = slack.command(f"/hourglass {line}", AGENT)
    assert reply.text.startswith(":no_entry: Sorry, only managers can do that")
    assert role_of(slack.database, STRANGER) is None
    assert role_of(slack.database, MANAGER) == "manager"


def test_a_person_typed_as_at_name_is_looked_up_by_name(slack):
    reply = slack.command("/hourglass role add @sam agent", MANAGER)
    assert f"<@{STRANGER}> is now an agent" in reply.text
    assert role_of(slack.database, STRANGER) == "agent"
    unknown = slack.command("/hourglass role add @nobody agent", MANAGER)
    assert "There is nobody called `@nobody` in this workspace" in unknown.text
    assert "Usage: `/hourglass role add <@user> agent|manager`" in unknown.text


def test_role_add_refuses_what_is_not_a_person_or_a_role(slack):
    assert (
        "`boss` is not a role"
        in slack.command(f"/hourglass role add {STRANGER} boss", MANAGER).text
    )
    assert (
        "`#acme` is not a person" in slack.command("/hourglass role add #acme agent", MANAGER).text
    )
    assert role_of(slack.database, STRANGER) is None


def test_the_domain_keeps_a_manager_and_the_shell_may_not_need_to(database, policy, clock):
    with database.session() as db:
        roles.add_role(db, policy, "UBOSS0001", "manager", actor="cli", now=clock.now())
    with database.session() as db, pytest.raises(roles.Conflict):
        roles.remove_role(db, policy, "UBOSS0001", actor="U0OTHER01", now=clock.now())
    with database.session() as db:  # `hourglass role remove` from the shell
        taken = roles.remove_role(
            db, policy, "UBOSS0001", actor="cli", now=clock.now(), keep_a_manager=False
        )
        assert taken == "manager"
    with database.session() as db:
        assert [c.action for c in db.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
            "role.add",
            "role.remove",
        ]


# --- item 6: channels as people type them ----------------------------------------------------


def test_channel_as_hash_name_is_looked_up_in_slack(slack):
    slack.standin.add_channel("CACME77", "acme")
    reply = slack.command(README_EXAMPLE, MANAGER)
    assert "Added customer *acme*" in reply.text
    assert "<#CACME77> is their support channel" in reply.text
    assert channel_of(slack.database, "acme") == "CACME77"
    assert "conversations.list" in [c.method for c in slack.standin.calls]


@pytest.mark.parametrize(
    ("given", "stored"), [("<#CBETA0001|beta>", "CBETA0001"), ("CBETA0001", "CBETA0001")]
)
def test_channel_as_a_mention_or_a_raw_id(slack, given, stored):
    reply = slack.command(f"/hourglass customer add beta plan=lite channel={given}", MANAGER)
    assert "Added customer *beta*" in reply.text
    assert channel_of(slack.database, "beta") == stored


def test_an_unknown_channel_name_is_refused_and_nothing_is_added(slack):
    reply = slack.command("/hourglass customer add acme plan=lite channel=#nosuch", MANAGER)
    assert "There is no channel `#nosuch` that Hourglass can see" in reply.text
    assert "Usage: `/hourglass customer add" in reply.text
    assert channel_of(slack.database, "acme") is None


def test_customer_edit_takes_a_team_channel_by_name(slack):
    add_acme(slack)
    slack.standin.add_channel("CTEAM77", "acme-team")
    reply = slack.command("/hourglass customer edit acme team=#acme-team", MANAGER)
    assert f"team <#{factories.ACME_TEAM}> → <#CTEAM77>" in reply.text


def test_the_readme_example_works_verbatim_in_the_console(database, policy, clock):
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert all(f"`{step}`" in readme for step in README_STEPS)
    settings = hourglass_app.Settings.from_env({"DATABASE_URL": database.url})
    local = LocalSlack(hourglass_app.LOCAL_WIRING, settings, database, policy, clock, echo=str)
    try:
        local.standin.add_user(MANAGER, "maya")
        with database.session() as db:
            roles.grant(db, MANAGER, "manager", "test", clock.now())
        reply = local.command(README_STEPS[0], MANAGER)
        assert "Added customer *acme*" in reply["text"], reply
        channel = channel_of(database, "acme")
        assert channel is not None and local.standin.channels[channel].name == "acme"
        assert f"<#{channel}> is their support channel" in reply["text"]
        assert "Added block #1 for *acme*" in local.command(README_STEPS[1], MANAGER)["text"]
        # `#4` stays an id: no channel is made up for it
        local.command("/hourglass hours void #4", MANAGER)
        assert [c.name for c in local.standin.channels.values()] == ["acme"]
    finally:
        local.close()


@pytest.mark.slow
def test_the_cli_looks_a_hash_channel_up_with_slack(tmp_path, standin):
    standin.add_channel("CWAYNE001", "wayne")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    refused = run_cli("customer", "add", "wayne", "--plan", "lite", "--channel", "#wayne", env=env)
    assert refused.returncode == 2
    assert "give the channel's id (C…), or set SLACK_BOT_TOKEN" in refused.stderr
    env |= {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": standin.base_url}
    added = run_cli("customer", "add", "wayne", "--plan", "lite", "--channel", "#wayne", env=env)
    assert added.returncode == 0, added.stderr
    raw = run_cli("customer", "add", "beta", "--plan", "lite", "--channel", "CBETA0001", env=env)
    assert raw.returncode == 0, raw.stderr


# --- item 7: no alert sent nowhere -----------------------------------------------------------


def test_customer_add_with_nowhere_for_alerts_is_added_with_a_warning(slack):
    reply = slack.command("/hourglass customer add hooli plan=enterprise", MANAGER)
    assert "Added customer *hooli*" in reply.text
    assert (
        ":warning: *hooli* has no channel and the policy has no `alert_channel`: its alerts "
        "would have nowhere to go. Give it one: `/hourglass customer edit hooli team=#channel`"
    ) in reply.text
    slack.standin.add_channel("CHOOLI01", "hooli")
    with_channel = slack.command("/hourglass customer add acme plan=lite channel=#hooli", MANAGER)
    assert ":warning:" not in with_channel.text


def test_a_long_call_alert_with_nowhere_to_go_is_told_in_the_call_reply(slack):
    slack.command("/hourglass customer add hooli plan=enterprise", MANAGER)
    reply = slack.command("/call 20m hooli jane", AGENT)
    assert "a *long call*" in reply.text
    assert (
        ":warning: The long-call alert for *hooli* had nowhere to go: give *hooli* a team "
        "channel with `/hourglass customer edit hooli team=#channel`"
    ) in reply.text
    with slack.database.session() as db:
        alert = db.scalar(select(Alert).where(Alert.kind == "long_call"))
        assert (alert.channel, alert.last_error) == ("", NOWHERE)
    # a customer whose alerts have somewhere to go: nothing to say
    add_acme(slack)
    assert ":warning:" not in slack.command("/call 20m acme jane", AGENT).text


def test_a_long_call_recorded_with_the_form_says_so_in_its_answer(slack):
    slack.command("/hourglass customer add hooli plan=enterprise", MANAGER)
    values = {
        "customer": {
            "customer_search": {"type": "static_select", "selected_option": {"value": "hooli"}}
        },
        "caller": {"value": {"type": "plain_text_input", "value": "jane"}},
        "duration": {"value": {"type": "plain_text_input", "value": "20m"}},
        "date": {"value": {"type": "datepicker", "selected_date": None}},
        "quality": {"value": {"type": "static_select"}},
        "note": {"value": {"type": "plain_text_input", "value": ""}},
    }
    reply = slack.interaction(view_submission("record_call", values))
    assert "errors" not in reply.body, reply.raw
    (dm,) = slack.standin.posted(AGENT)
    assert ":warning: The long-call alert for *hooli* had nowhere to go" in dm["text"]
