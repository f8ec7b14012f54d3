"""Slack adapters only: parse, call bot/, render Block Kit. Registered in one place.

Every request's text is cleaned once before any listener runs (handlers/inbound.py).

May import bot/, store/ (sessions and repositories) and Slack; never app (the composition
root hands them what they need). local/ is Hourglass without Slack: the stand-in, console
and demo.
"""

from slack_bolt import App

from handlers import actions, commands, events, shortcuts, views
from handlers.inbound import clean_request


def register_listeners(app: App) -> None:
    app.use(clean_request)
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
    shortcuts.register(app)
