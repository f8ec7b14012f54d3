"""Slack views, one module each, registered here."""

from slack_bolt import App

from handlers.views import book, book_move


def register(app: App) -> None:
    app.view(book.CALLBACK_ID)(book.submit)
    app.view(book_move.CALLBACK_ID)(book_move.submit)
    app.view(book_move.CONFIRM_ID)(book_move.confirm)
