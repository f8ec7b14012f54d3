"""The outbox's way out: chat.postMessage, chat.update and the history search through the
real WebClient (bot.alerts.delivery.Messenger)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.alerts.delivery import DeliveryError

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
    "edit_window_closed",  # chat.update: the workspace's edit settings
    "is_inactive",  # chat.update: the channel was archived, frozen or deleted
    "user_not_found",
}
# The message metadata every alert is posted with: its key, so a post whose answer was lost
# can be found in the channel instead of being posted twice.
EVENT_TYPE = "hourglass_alert"
HISTORY_PAGE, HISTORY_PAGES = 200, 10


# The longest Retry-After a post waits out itself: three waits and the post stay far inside
# the outbox's lease (bot.alerts.delivery.LEASE). A longer one is a failed attempt, retried by
# the outbox's back-off: sleeping through it while holding the lease would let another clock
# take the row over, find nothing yet, and post too.
RATE_LIMIT_WAIT = 5


class ShortRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """The SDK's rate-limit retry, for waits of at most RATE_LIMIT_WAIT seconds."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        waits = [v for k, v in response.headers.items() if k.lower() == "retry-after"]
        try:
            return not waits or int(waits[0][0]) <= RATE_LIMIT_WAIT
        except (ValueError, IndexError):
            return False


class SlackMessenger:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        # Posts are sent once per attempt: a retry inside the SDK after a timeout, a dropped
        # connection or a 5xx could post twice, and the outbox must look in the channel
        # first. A 429 was not accepted, so a short one is still waited out here.
        self.poster = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            logger=client.logger,
            retry_handlers=[ShortRateLimitRetryHandler(max_retry_count=3)],
        )

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None = None,
        key: str | None = None,
    ) -> tuple[str, str]:
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"key": key}} if key else None
        with _slack_errors():
            response = self.poster.chat_postMessage(
                channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, metadata=metadata
            )
        return response["channel"], response["ts"]

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        with _slack_errors():
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks or [])

    def find(
        self, channel: str, key: str, oldest: datetime, thread_ts: str | None = None
    ) -> tuple[str, str] | None:
        """Look through the channel's messages since `oldest` (the thread's replies for a
        reply: history does not list them) for one whose metadata names `key`."""
        if channel.startswith(("U", "W")):  # a DM is posted to the user; read it as an IM
            with _slack_errors():
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
        try:
            return self._search(channel, key, oldest, thread_ts)
        except DeliveryError as error:
            if str(error) != "not_in_channel":
                raise
        # A public channel posted in without joining (chat:write.public): join to read it.
        with _slack_errors():
            self.client.conversations_join(channel=channel)
        return self._search(channel, key, oldest, thread_ts)

    def _search(
        self, channel: str, key: str, oldest: datetime, thread_ts: str | None
    ) -> tuple[str, str] | None:
        for message in self._messages(channel, f"{oldest.timestamp():.6f}", thread_ts):
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key:
                return channel, message["ts"]
        return None

    def _messages(
        self, channel: str, oldest: str, thread_ts: str | None
    ) -> Iterator[dict[str, Any]]:
        cursor = None
        for _ in range(HISTORY_PAGES):
            arguments: dict[str, Any] = {
                "channel": channel,
                "oldest": oldest,
                "limit": HISTORY_PAGE,
                "include_all_metadata": True,
                "cursor": cursor,
            }
            with _slack_errors():
                if thread_ts is None:
                    page = self.client.conversations_history(**arguments)
                else:
                    page = self.client.conversations_replies(ts=thread_ts, **arguments)
            yield from page.get("messages") or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return


@contextmanager
def _slack_errors() -> Iterator[None]:
    """Slack's refusals and network trouble as the outbox's DeliveryError."""
    try:
        yield
    except SlackApiError as exc:
        raise _delivery_error(exc) from exc
    except OSError as exc:  # a timeout or a dropped connection: it may have been done
        raise DeliveryError(f"network: {exc}", unknown=True) from exc


def _delivery_error(exc: SlackApiError) -> DeliveryError:
    response = exc.response
    error = response.get("error") if response is not None else None
    status = response.status_code if response is not None else 0
    # A 5xx answer does not say whether Slack acted on the request.
    return DeliveryError(
        str(error or exc), permanent=error in PERMANENT, unknown=status >= 500 or status == 0
    )
