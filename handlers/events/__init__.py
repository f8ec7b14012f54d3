"""Slack events, one module each, registered here."""

from slack_bolt import App

from handlers.events import sla


def register(app: App) -> None:
    app.event("message")(sla.on_message)
    app.event("reaction_added")(sla.on_reaction)
