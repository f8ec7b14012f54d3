"""Slack shortcuts (message shortcuts), one module each, registered here."""

from slack_bolt import App

from handlers.shortcuts import messages


def register(app: App) -> None:
    app.shortcut(messages.LOG_TIME)(messages.log_time_on_message)
    app.shortcut(messages.OPEN_TICKET)(messages.open_ticket_from_message)
