"""The Block Kit pieces alerts and replies are built from: one way to make each.

Plain dicts, no Slack import: alerts carry their blocks through the outbox.

Slack's limits decide the shape of a long reply: a section's text is at most 3,000
characters, a message at most 50 blocks (a modal or App Home 100), and a message's text is
cut after 40,000 characters. Nothing is cut silently here: `sections` splits text at line
breaks, and `paginate` shows the items that fit and says how many are left, with a *More*
button that answers the next page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

SECTION_LIMIT = 3000  # Slack refuses a section whose text is longer
MESSAGE_BLOCKS = 50  # blocks in one message
SURFACE_BLOCKS = 100  # blocks in a modal or App Home
MESSAGE_TEXT = 40_000  # Slack cuts a message's text after this many characters

Block = dict[str, Any]


def section(text: str) -> Block:
    """One section; text too long for one is cut with a visible mark (use `sections`)."""
    if len(text) > SECTION_LIMIT:
        mark = f"… ({len(text) - SECTION_LIMIT + 40} more characters)"
        text = text[: SECTION_LIMIT - len(mark)] + mark
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _pieces(line: str) -> list[str]:
    """A line longer than a section, in pieces at spaces (or hard, if it has none)."""
    pieces: list[str] = []
    while len(line) > SECTION_LIMIT:
        cut = line.rfind(" ", 0, SECTION_LIMIT)
        cut = cut if cut > 0 else SECTION_LIMIT
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    return [*pieces, line]


def chunks(text: str) -> list[str]:
    """The text in runs of whole lines, each at most SECTION_LIMIT characters."""
    runs: list[str] = []
    current = ""
    for line in (piece for raw in text.split("\n") for piece in _pieces(raw)):
        joined = f"{current}\n{line}" if current else line
        if current and len(joined) > SECTION_LIMIT:
            runs.append(current)
            joined = line
        current = joined
    return [*runs, current] if current or not runs else runs


def sections(text: str) -> list[Block]:
    """The text as as many sections as it needs, split at line breaks."""
    return [section(run) for run in chunks(text)]


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def button(action_id: str, label: str, value: str, *, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }
    if style is not None:
        element["style"] = style
    return element


def actions(*buttons: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(buttons)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


# --- long lists -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a list: its blocks and text, and where the next page starts (or None)."""

    text: str
    blocks: list[Block]
    first: int  # index of the first item shown
    shown: int
    total: int
    next_offset: int | None

    @property
    def hidden(self) -> int:
        return self.total - self.first - self.shown


def paginate(
    head: str,
    items: Sequence[str],
    tail: Sequence[str] = (),
    *,
    offset: int = 0,
    more: Callable[[int], Block] | None = None,
    max_blocks: int = MESSAGE_BLOCKS,
    max_chars: int = MESSAGE_TEXT,
) -> Page:
    """The head (if any), as many items from `offset` as fit, and the tail (a total, say)
    always.

    Items that do not fit are counted in a closing line, "… and N more", followed by
    `more(next_offset)` (a *More* button) when there is one.
    """
    offset = max(0, min(offset, len(items)))
    closing = 2  # the "… and N more" line and the More button
    fixed = (len(chunks(head)) if head else 0) + (len(chunks("\n".join(tail))) if tail else 0)
    budget_blocks = max_blocks - fixed - closing
    budget_chars = max_chars - len(head) - sum(len(line) + 1 for line in tail) - 200
    runs: list[str] = []
    shown = 0
    for item in items[offset:]:
        trial = chunks("\n".join([*runs[-1:], item])) if runs else chunks(item)
        extra = len(trial) - (1 if runs else 0)
        if len(runs) + extra > budget_blocks or len(item) + 1 > budget_chars:
            break
        runs = runs[:-1] + trial if runs else trial
        budget_chars -= len(item) + 1
        shown += 1
    if shown == 0 and offset < len(items):
        runs, shown = chunks(items[offset])[:budget_blocks], 1  # always make progress
    return _page(head, runs, tail, offset, shown, len(items), more)


def _page(
    head: str,
    runs: list[str],
    tail: Sequence[str],
    offset: int,
    shown: int,
    total: int,
    more: Callable[[int], Block] | None,
) -> Page:
    hidden = total - offset - shown
    if tail:  # the tail closes the last run of items when it fits there
        runs = [*runs[:-1], *chunks("\n".join([*runs[-1:], *tail]))]
    blocks = [*(sections(head) if head else []), *(section(run) for run in runs)]
    lines = [head, *runs] if head else list(runs)
    next_offset = offset + shown if hidden > 0 else None
    if next_offset is not None:
        note = f"… and {hidden} more (shown: {offset + 1}–{offset + shown} of {total})."
        blocks.append(context(note))
        lines.append(note)
        if more is not None:
            blocks.append(more(next_offset))
    return Page("\n".join(lines), blocks, offset, shown, total, next_offset)
