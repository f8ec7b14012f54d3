"""The outbox's way out: chat.postMessage, chat.update and the history search through the
real WebClient (bot.alerts.delivery.Messenger).

Slack's answers are classified here, where its error names are known: a 429 carries its
Retry-After and the method it was for (the outbox holds that method in the database,
bot.alerts.pacing, instead of the SDK sleeping through it inside one process), a refused
token is flagged as such, and PERMANENT errors are parked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.alerts.delivery import CALL_TIMEOUT, DeliveryError

# Slack refused the bot token itself: every call would be refused alike, so the outbox parks
# every waiting alert at once (bot.alerts.pacing) and delivers them once a post works again.
TOKEN_REFUSED = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
}
# Errors that retrying will not fix; anything else (rate limits, server errors, network
# trouble) is retried by the outbox: after Retry-After for a 429, else with back-off.
PERMANENT = TOKEN_REFUSED | {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "missing_scope",
    "no_permission",
    "team_access_not_granted",
    "ekm_access_denied",
    "restricted_action",
    "restricted_action_read_only_channel",
    "restricted_action_thread_only_channel",
    "restricted_action_non_threadable_channel",
    "cannot_reply_to_message",
    "no_text",
    "too_many_attachments",
    "invalid_arguments",
    "invalid_metadata_format",
    "invalid_metadata_schema",
    "metadata_too_large",
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


# A 429 without Retry-After (Slack always sends one): wait this long.
DEFAULT_RETRY_AFTER = 1.0


class SlackMessenger:
    def __init__(self, client: WebClient, timeout: int | None = None) -> None:
        # The outbox's calls give up after CALL_TIMEOUT (or the client's, if shorter): one
        # hung call must not hold the clock, and every alert behind it, for 30 s.
        limit = int(CALL_TIMEOUT.total_seconds()) if timeout is None else timeout
        timeout = min(client.timeout, limit)
        # No 429 is waited out inside the SDK: the outbox records Retry-After in the database
        # so every clock honours it, and a wait slept through while holding an alert's lease
        # could outlast it. Edits and reads keep the client's other retries.
        self.client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=timeout,
            logger=client.logger,
            retry_handlers=[
                handler
                for handler in client.retry_handlers
                if not isinstance(handler, RateLimitErrorRetryHandler)
            ],
        )
        # Posts are sent once per attempt: a retry inside the SDK after a timeout, a dropped
        # connection or a 5xx could post twice, and the outbox must look in the channel first.
        self.poster = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=timeout,
            logger=client.logger,
            retry_handlers=[],
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
        with _slack_errors("chat.postMessage"):
            response = self.poster.chat_postMessage(
                channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, metadata=metadata
            )
        return response["channel"], response["ts"]

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        with _slack_errors("chat.update"):
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks or [])

    def find(
        self, channel: str, key: str, oldest: datetime, thread_ts: str | None = None
    ) -> tuple[str, str] | None:
        """Look through the channel's messages since `oldest` (the thread's replies for a
        reply: history does not list them) for one whose metadata names `key`."""
        if channel.startswith(("U", "W")):  # a DM is posted to the user; read it as an IM
            with _slack_errors("conversations.open"):
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
        try:
            return self._search(channel, key, oldest, thread_ts)
        except DeliveryError as error:
            if str(error) != "not_in_channel":
                raise
        # A public channel posted in without joining (chat:write.public): join to read it.
        with _slack_errors("conversations.join"):
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
            method = "conversations.history" if thread_ts is None else "conversations.replies"
            with _slack_errors(method):
                if thread_ts is None:
                    page = self.client.conversations_history(**arguments)
                else:
                    page = self.client.conversations_replies(ts=thread_ts, **arguments)
            yield from page.get("messages") or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return


@contextmanager
def _slack_errors(method: str) -> Iterator[None]:
    """Slack's refusals and network trouble as the outbox's DeliveryError."""
    try:
        yield
    except SlackApiError as exc:
        raise _delivery_error(exc, method) from exc
    except OSError as exc:  # a timeout or a dropped connection: it may have been done
        raise DeliveryError(f"network: {exc}", unknown=True, method=method) from exc


def _delivery_error(exc: SlackApiError, method: str) -> DeliveryError:
    response = exc.response
    error = response.get("error") if response is not None else None
    status = response.status_code if response is not None else 0
    retry_after = _retry_after(response.headers) if status == 429 else None
    # A 5xx answer does not say whether Slack acted on the request.
    return DeliveryError(
        str(error or exc),
        permanent=error in PERMANENT,
        unknown=status >= 500 or status == 0,
        retry_after=retry_after,
        method=method,
        token=error in TOKEN_REFUSED,
    )


def _retry_after(headers: dict[str, Any] | None) -> float:
    """Seconds from a 429's Retry-After header (any case; a list when the SDK keeps one)."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            first = value[0] if isinstance(value, list) and value else value
            try:
                return max(float(first), 0.0)
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER
