"""Slack actions, one module each, registered here."""

from slack_bolt import App

from handlers.actions import sla


def register(app: App) -> None:
    app.action("sla_acknowledge")(sla.on_acknowledge)
    app.action("sla_take")(sla.on_take)
