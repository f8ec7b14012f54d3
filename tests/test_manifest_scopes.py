"""manifest.json asks for exactly the bot scopes the code uses (issue 17 item 4).

Every Web API method the code calls on a `WebClient` must be in METHOD_SCOPES (the scopes
Slack documents for it, as a bot), every subscribed event in EVENT_SCOPES; the manifest's
bot scopes must be their union, plus `commands` for the slash commands. A new call or event
without a row fails here, and so does a scope nothing uses.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from slack_sdk import WebClient

ROOT = Path(__file__).resolve().parents[1]

# WebClient method -> the bot scopes it needs (docs.slack.dev, "Required scopes").
METHOD_SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    # chat:write.public: the provider's alert channel is posted in without joining it.
    "chat_postMessage": {"chat:write", "chat:write.public"},
    "chat_update": {"chat:write"},
    "chat_getPermalink": set(),  # the message shortcut's link; no scope needed
    "conversations_open": {"im:write"},
    # A public channel needs channels:read, a private one groups:read.
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_join": {"channels:join"},
    # The outbox looks for an alert whose post's answer was lost: a public channel, a
    # private one, or a DM to one person.
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    # `#acme` typed as a name (issue 19 item 6): public and private channels by name.
    "conversations_list": {"channels:read", "groups:read"},
    "users_info": {"users:read"},
    "users_list": {"users:read"},  # `@jane` typed as a name
    "usergroups_list": {"usergroups:read"},
    "usergroups_users_list": {"usergroups:read"},
    "files_upload_v2": {"files:write"},
    "views_open": set(),
    "views_publish": set(),
}

EVENT_SCOPES: dict[str, set[str]] = {
    "app_home_opened": set(),
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "message.im": {"im:history"},
    "reaction_added": {"reactions:read"},
    "channel_archive": {"channels:read"},
    "group_archive": {"groups:read"},
    "member_left_channel": {"channels:read", "groups:read"},
    "channel_left": {"channels:read"},
    "group_left": {"groups:read"},
}


def web_api_calls() -> set[str]:
    """Every `x.<WebClient method>(…)` in app.py and handlers/ (tests and the stand-in
    excluded: they are not the app)."""
    methods = {name for name in dir(WebClient) if not name.startswith("_")}
    files = [ROOT / "app.py", *sorted((ROOT / "handlers").rglob("*.py"))]
    called = set()
    for path in files:
        if path.name == "standin.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr in methods:
                called.add(func.attr)
    return called


def manifest() -> dict:
    return json.loads((ROOT / "manifest.json").read_text())


def test_every_web_api_method_called_has_its_scopes_in_the_table():
    called = web_api_calls()
    assert {"chat_postMessage", "conversations_info", "conversations_join"} <= called
    assert called <= set(METHOD_SCOPES), f"add a row for {sorted(called - set(METHOD_SCOPES))}"


def test_the_manifest_asks_for_exactly_the_scopes_the_code_uses():
    app = manifest()
    events = app["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) <= set(EVENT_SCOPES), f"add a row for {set(events) - set(EVENT_SCOPES)}"
    needed = set().union(*(METHOD_SCOPES[m] for m in web_api_calls()))
    needed |= set().union(*(EVENT_SCOPES[e] for e in events))
    if app["features"]["slash_commands"]:
        needed.add("commands")
    assert sorted(app["oauth_config"]["scopes"]["bot"]) == sorted(needed)


def test_every_event_the_app_handles_is_subscribed():
    handled = {
        "message.im",
        "channel_archive",
        "group_archive",
        "member_left_channel",
        "channel_left",
        "group_left",
    }
    assert handled <= set(manifest()["settings"]["event_subscriptions"]["bot_events"])
