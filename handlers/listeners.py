"""Every listener, registered in one place.

Kept out of the package's `__init__` so that a process that needs only the edge, the gate
or the messenger (`hourglass report`, `hourglass sweep`) does not import every command,
action, view, event and shortcut (issue 11 item 5: startup).
"""

from slack_bolt import App

from handlers import actions, commands, events, shortcuts, views
from handlers.inbound import clean_request


def register_listeners(app: App) -> None:
    app.use(clean_request)
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
    shortcuts.register(app)
