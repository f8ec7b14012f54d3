"""The Block Kit pieces alerts and replies are built from: one way to make each.

Plain dicts, no Slack import: alerts carry their blocks through the outbox.
"""

from __future__ import annotations

from typing import Any

SECTION_LIMIT = 3000  # Slack refuses a section whose text is longer


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}}


def button(action_id: str, label: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }
    if style is not None:
        element["style"] = style
    return element


def actions(*buttons: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(buttons)}
    if block_id is not None:
        block["block_id"] = block_id
    return block
