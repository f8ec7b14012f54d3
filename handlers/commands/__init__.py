"""Slash commands, one module each, registered here."""

from slack_bolt import App

from handlers.commands import balance, book, call, hourglass, log, ticket, timer


def register(app: App) -> None:
    app.command("/hourglass")(hourglass.listener)
    app.command("/balance")(balance.listener)
    app.command("/book")(book.listener)
    app.command("/log")(log.listener)
    app.command("/timer")(timer.listener)
    app.command("/call")(call.listener)
    app.command("/ticket")(ticket.listener)
