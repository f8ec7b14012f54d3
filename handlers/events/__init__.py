"""Slack events, one module each, registered here."""

from slack_bolt import App


def register(app: App) -> None:
    pass
