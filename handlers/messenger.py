"""The outbox's way out: chat.postMessage and chat.update through the real WebClient."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.alerts.outbox import DeliveryError

# Errors that retrying will not fix; anything else (rate limits past the SDK's own retries,
# server errors, network trouble) is retried with back-off by the outbox.
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "invalid_blocks",
    "msg_too_long",
    "message_not_found",
    "cant_update_message",
    "user_not_found",
}


class SlackMessenger:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        try:
            response = self.client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, thread_ts=thread_ts
            )
        except SlackApiError as exc:
            raise _delivery_error(exc) from exc
        except OSError as exc:
            raise DeliveryError(f"network: {exc}") from exc
        return response["channel"], response["ts"]

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        try:
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks or [])
        except SlackApiError as exc:
            raise _delivery_error(exc) from exc
        except OSError as exc:
            raise DeliveryError(f"network: {exc}") from exc


def _delivery_error(exc: SlackApiError) -> DeliveryError:
    error = exc.response.get("error") if exc.response is not None else None
    return DeliveryError(str(error or exc), permanent=error in PERMANENT)
