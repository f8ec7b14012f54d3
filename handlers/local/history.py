"""The stand-in's channels as Slack keeps them: every message posted, its edits and its
metadata, and conversations.history / conversations.replies read back from them.

A test asks what a channel shows now (`messages`), not only what was sent: one message per
alert, its last edit the alert's final text.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

PAGE = 100


@dataclass
class StandInMessage:
    channel: str
    ts: str
    text: str | None
    blocks: Any = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    edits: list[str | None] = field(default_factory=list)  # the text after each chat.update

    def as_slack(self, *, with_metadata: bool) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "bot_id": "BHOURGLASS",
            "user": "UHOURGLASS",
            "ts": self.ts,
            "text": self.text,
        }
        if self.blocks:
            message["blocks"] = self.blocks
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        if with_metadata and self.metadata:
            message["metadata"] = self.metadata
        return message


class MessageLog:
    """Messages by channel, in the order they were posted. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[StandInMessage] = []

    def post(self, channel: str, ts: str, params: dict[str, Any]) -> StandInMessage:
        metadata = params.get("metadata")
        message = StandInMessage(
            channel=channel,
            ts=ts,
            text=params.get("text"),
            blocks=params.get("blocks"),
            metadata=metadata if isinstance(metadata, dict) else None,
            thread_ts=params.get("thread_ts") or None,
        )
        with self._lock:
            self._messages.append(message)
        return message

    def update(self, channel: str, ts: str, params: dict[str, Any]) -> bool:
        """Edit a message in place; False if there is no such message."""
        with self._lock:
            for message in self._messages:
                if message.channel == channel and message.ts == ts:
                    message.text = params.get("text")
                    message.blocks = params.get("blocks")
                    message.edits.append(message.text)
                    return True
        return False

    def messages(self, channel: str | None = None) -> list[StandInMessage]:
        with self._lock:
            return [m for m in self._messages if channel is None or m.channel == channel]

    def history(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: the channel's top-level messages, newest first (thread
        replies are not listed, as in Slack)."""
        found = [m for m in self.messages(channel) if not m.thread_ts or m.thread_ts == m.ts]
        return self._page(found, params)

    def replies(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: the thread's parent and its replies, oldest first."""
        parent = str(params.get("ts", ""))
        found = [m for m in self.messages(channel) if parent in {m.ts, m.thread_ts}]
        answer = self._page(found, params)
        answer["messages"].reverse()
        return answer

    @staticmethod
    def _page(found: list[StandInMessage], params: dict[str, Any]) -> dict[str, Any]:
        oldest = float(params.get("oldest") or 0)
        found = [m for m in found if float(m.ts) > oldest]
        found.reverse()
        start = int(params.get("cursor") or 0)
        size = int(params.get("limit") or PAGE)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in {"1", "true"}
        page = [m.as_slack(with_metadata=with_metadata) for m in found[start : start + size]]
        more = start + size < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + size) if more else ""},
        }
