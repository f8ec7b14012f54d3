"""Asking before a repeat is recorded (issue 18 item 6): the same `/log` or `/call`, with the
same text, by the same person within a minute is not recorded at once. The reply says it
looks like a repeat of the earlier entry or call and offers *Log again*; nothing is
recorded until that is pressed.

The button carries the command, what was typed after it and who typed it, so it keeps no
state: pressing it runs the command again, as the one who typed it, without the question
(handlers/actions/repeats.py). Only that person may press it.
"""

from __future__ import annotations

import json

from bot.blocks import actions, button, section
from bot.errors import InputError
from handlers.common import CommandCall, Reply

ACTION_AGAIN = "repeat_record_again"
LABEL = "Log again"


def repeat_question(call: CommandCall, command: str, earlier: str) -> Reply:
    """The reply to a likely repeat of `earlier` (e.g. `#12 (30m 1-on-1 for acme …)`)."""
    text = (
        f":repeat: This looks like a repeat of {earlier}, recorded less than a minute ago, so "
        f"nothing was recorded. Press *{LABEL}* to record it a second time."
    )
    # Not ASCII-escaped: a note in any script stays within Slack's 2,000-character value.
    value = json.dumps(
        {"command": command, "text": call.text, "user": call.user_id}, ensure_ascii=False
    )
    return Reply(text, [section(text), actions(button(ACTION_AGAIN, LABEL, value))])


def read_again(value: str) -> tuple[str, str, str]:
    """A *Log again* button's (command, typed text, who typed it)."""
    try:
        wanted = json.loads(value)
        return str(wanted["command"]), str(wanted["text"]), str(wanted["user"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError("that button no longer works; type the command again") from exc
