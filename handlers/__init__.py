"""Slack adapters only: parse, call bot/, render Block Kit. Registered in one place."""

from slack_bolt import App

from handlers import actions, commands, events, views


def register_listeners(app: App) -> None:
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
