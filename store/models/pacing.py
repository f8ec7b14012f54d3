"""Slack's limits as the outbox keeps them (issue 12 item 3, migration 0028): one row per
thing Slack limits, shared by every clock process through the database.

`kind` is `channel` (`subject` a channel or user id: the earliest a new message may be
posted there, Slack's one-per-second special limit for chat.postMessage) or `method`
(`subject` a Web API method: the earliest it may be called again after Slack answered 429
with Retry-After; the limit is per method per workspace, and Hourglass serves one workspace)
or `token` (`subject` `bot`: Slack refused the bot token, `reason` says how). `not_before`
is on the pacing's clock (`bot.alerts.pacing`): the database's, unless a test injects one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, UTCDateTime


class SlackPacing(Base):
    __tablename__ = "slack_pacing"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str] = mapped_column(String(80), primary_key=True)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
