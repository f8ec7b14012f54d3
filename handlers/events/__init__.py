"""Slack events, one module each, registered here."""

from slack_bolt import App

from handlers.events import app_home, channels, direct, sla
from handlers.later import after_ack


def register(app: App) -> None:
    app.event("app_home_opened")(after_ack(app_home.app_home_opened))
    # A DM (channel_type im) is answered with help; Bolt runs the first listener that
    # matches, so it never reaches the SLA listener.
    app.event("message", matchers=[direct.is_direct_message])(after_ack(direct.on_direct_message))
    app.event("message")(sla.on_message)
    app.event("reaction_added")(sla.on_reaction)
    app.event("channel_archive")(channels.on_archive)
    app.event("group_archive")(channels.on_archive)
    app.event("member_left_channel")(channels.on_member_left)
    app.event("channel_left")(channels.on_left)
    app.event("group_left")(channels.on_left)
