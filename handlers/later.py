"""Work that runs after the ack, off the request thread.

The app keeps Bolt's `process_before_response=True`: Bolt sends the HTTP response only
when a listener returns, so a listener that called `ack()` and then went on to call Slack
would still keep Slack waiting. What comes after the ack (a CSV upload, a reply that needed
a Slack lookup first, refreshing a cached profile) is handed to `Later` instead, and the
listener returns at once. A failure there is reported by the hook the Slack edge installs
(`on_error`): the user is told through `response_url`, with a ref in the log.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

log = logging.getLogger("hourglass." + __name__)

LateError = Callable[[BaseException, dict[str, Any], BoltContext], None]


def _log_only(error: BaseException, body: dict[str, Any], context: BoltContext) -> None:
    log.error("work after the ack failed", exc_info=error)


class Later:
    """A small thread pool for after-the-ack work; `drain` waits for what is in flight."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="after-ack")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self.on_error: LateError = _log_only
        # called once a request's last piece of work is done: the edge logs its one line then
        self.on_done: Callable[[dict[str, Any], BoltContext], None] = lambda body, context: None

    def run(self, work: Callable[[], None], body: dict[str, Any], context: BoltContext) -> None:
        with self._lock:
            context["after_ack"] = context.get("after_ack", 0) + 1

        def guarded() -> None:
            try:
                work()
            except Exception as error:  # noqa: BLE001 - reported to the user by the edge
                self.on_error(error, body, context)
            finally:
                with self._lock:
                    context["after_ack"] -= 1
                    last = context["after_ack"] == 0
                if last:
                    self.on_done(body, context)

        future = self._pool.submit(guarded)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until every piece of work handed over so far has finished (tests, the
        console, shutdown)."""
        with self._lock:
            pending = set(self._pending)
        wait(pending, timeout=timeout)


def after_ack(listener: Callable[..., None]) -> Callable[..., None]:
    """The listener, run after an immediate ack: for buttons and App Home, whose answer
    goes to `response_url`, a DM or `views.publish` anyway."""
    wanted = set(inspect.signature(listener).parameters)

    def acked(
        ack: Ack,
        body: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        given = {
            "ack": Ack(),  # already acknowledged: a second ack() changes nothing
            "body": body,
            "event": body.get("event"),
            "respond": respond,
            "client": client,
            "context": context,
        }
        kwargs = {name: value for name, value in given.items() if name in wanted}
        context["hourglass"].later.run(lambda: listener(**kwargs), body, context)

    acked.__name__ = acked.__qualname__ = getattr(listener, "__name__", "listener")
    return acked
