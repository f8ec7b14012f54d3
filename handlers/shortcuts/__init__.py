"""Slack shortcuts (message shortcuts), one module each, registered here."""

from slack_bolt import App

from handlers.later import after_ack
from handlers.shortcuts import messages


def register(app: App) -> None:
    # Acknowledged at once; the lookup, the permalink and views.open follow (handlers/later.py).
    app.shortcut(messages.LOG_TIME)(after_ack(messages.log_time_on_message))
    app.shortcut(messages.OPEN_TICKET)(after_ack(messages.open_ticket_from_message))
