"""Slack views, one module each, registered here."""

from slack_bolt import App

from handlers.views import book


def register(app: App) -> None:
    app.view(book.CALLBACK_ID)(book.submit)
