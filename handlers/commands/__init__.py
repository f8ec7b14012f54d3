"""Slash commands, one module each, registered here."""

from slack_bolt import App

from handlers.commands import balance, book, hourglass, log


def register(app: App) -> None:
    app.command("/hourglass")(hourglass.listener)
    app.command("/balance")(balance.listener)
    app.command("/book")(book.listener)
    app.command("/log")(log.listener)
