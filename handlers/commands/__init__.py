"""Slash commands, one module each, registered here."""

from slack_bolt import App

from handlers.commands import balance, hourglass, ticket


def register(app: App) -> None:
    app.command("/hourglass")(hourglass.listener)
    app.command("/balance")(balance.listener)
    app.command("/ticket")(ticket.listener)
