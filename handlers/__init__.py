"""Slack adapters only: parse, call bot/, render Block Kit. Registered in one place.

May import bot/, store/ (sessions and repositories) and Slack; never app (the composition
root hands them what they need). local/ is Hourglass without Slack: the stand-in, console
and demo.
"""

from slack_bolt import App

from handlers import actions, commands, events, shortcuts, views


def register_listeners(app: App) -> None:
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
    shortcuts.register(app)
