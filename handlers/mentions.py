"""Channels and people as a command names them: Slack's mention (`<#C…|acme>`, `<@U…|jane>`),
a raw id (`C…`, `U…`), or the name as people type it where nothing turns it into a mention
(`#acme`, `@jane`: the console, or Slack sending the text as typed), looked up by name."""

from __future__ import annotations

import re

from bot.parsing import InputError, parse_mention
from bot.roles import parse_user_id
from handlers.common import CommandCall
from handlers.identity import id_for_name

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,31}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")


def channel_from(call: CommandCall, text: str) -> str:
    """The channel id `text` names; a `#name` Slack cannot find is refused with the reason."""
    mention = parse_mention(text)
    if mention is not None and mention.kind == "channel":
        return mention.id
    if _CHANNEL_ID.match(text):
        return text
    if text.startswith("#") and len(text) > 1 and mention is None:
        found = id_for_name(call.hg, text, strict=call.strict)
        if found is None:
            raise InputError(
                f"there is no channel `{text}` that Hourglass can see (a private channel: "
                "`/invite @Hourglass` in it first)"
            )
        return found
    raise InputError(f"`{text}` is not a channel: name it with #, e.g. `#acme`")


def user_from(call: CommandCall, text: str) -> str:
    """The user id `text` names: `<@U…|jane>`, `U…`, or `@jane` looked up by name."""
    mention = parse_mention(text)
    if mention is not None and mention.kind == "user":
        return mention.id
    if _USER_ID.match(text):
        return parse_user_id(text)
    if text.startswith("@") and len(text) > 1 and mention is None:
        found = id_for_name(call.hg, text, strict=call.strict)
        if found is None:
            raise InputError(f"there is nobody called `{text}` in this workspace")
        return found
    raise InputError(f"`{text}` is not a person: mention them with @, e.g. `@jane`")
