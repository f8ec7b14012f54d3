"""A local stand-in for the Slack Web API, on a free port.

The app gets a real `WebClient` whose base URL points here, so the real SDK code runs;
every call is recorded. Tests assert on what the app posted; `hourglass console` and
`hourglass demo` print it instead of sending it to Slack. Modelled on bolt-python's
tests/mock_web_api_server, bound to a free port rather than a fixed one.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from slack_sdk.signature import SignatureVerifier

from handlers.local.history import MessageLog, StandInMessage

STANDIN_TEAM = "T00000001"  # the stand-in's workspace: auth.test says the bot is installed here


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    token: str | None = None
    at: datetime = field(
        default_factory=lambda: datetime.now(UTC)
    )  # when it arrived, by the stand-in's clock
    fault: str | None = None  # what a chaos draw answered it (CHAOS_KINDS), if any


@dataclass(frozen=True)
class UploadedFile:
    """A file shared through files_upload_v2: the three calls it makes, put together."""

    id: str
    channel: str
    filename: str
    title: str
    comment: str
    content: bytes


@dataclass
class StandInUser:
    id: str
    name: str
    tz: str = "Europe/London"
    is_bot: bool = False


@dataclass
class StandInChannel:
    """A channel as Slack sees it from the app's side: public or private, archived, and
    whether the app is a member."""

    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    is_member: bool = False

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_member": self.is_member,
        }


@dataclass
class _Failure:
    error: str | None = None
    status: int = 200
    retry_after: int | None = None


@dataclass
class _Chaos:
    """A share of calls answered badly, drawn from a seeded generator (bench/chaos.py)."""

    share: float
    rng: random.Random
    hang: float
    retry_after: int
    exempt: frozenset[str]
    kinds: tuple[str, ...]


# What a chaos draw may answer: 429 with Retry-After, 500, or a hang past the client's
# timeout, either after doing the call (the app never hears it worked) or before (it never
# happened).
CHAOS_KINDS = ("429", "500", "hang-done", "hang-lost")


@dataclass
class SlackStandIn:
    """Answers Web API methods with canned JSON and records every request."""

    users: dict[str, StandInUser] = field(default_factory=dict)
    usergroups: dict[str, tuple[str, list[str]]] = field(
        default_factory=dict
    )  # id -> (handle, members)
    on_call: Callable[[ApiCall], None] | None = None
    # Channels scripted by a test; any other C… id is a public channel the app is not in,
    # any other G… id a private one (invisible to the app until it is invited).
    channels: dict[str, StandInChannel] = field(default_factory=dict)
    # The time each call is stamped with: the wall clock unless a test paces the outbox on
    # a fixed one (then it is that clock's, so the spacing of posts can be read off).
    clock: Callable[[], datetime] | None = None
    # Where apps.connections.open sends a Socket Mode app (handlers/local/socket_mode.py);
    # None: a URL nothing listens on.
    socket_mode_url: str | None = None

    def __post_init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.uploads: dict[str, bytes] = {}
        self._upload_names: dict[str, str] = {}  # file id -> filename asked for
        self._completed: list[dict[str, Any]] = []  # files.completeUploadExternal that worked
        self.responses: list[dict[str, Any]] = []  # what was sent to response_url
        self.responses_to: dict[str, list[dict[str, Any]]] = {}  # the same, by URL key
        self._failures: dict[str, list[_Failure]] = {}
        # method (or "*" for every method) -> Retry-After seconds, until lifted
        self._rate_limits: dict[str, int] = {}
        # method (or "*") -> HTTP status answered until `end_outage` (Slack down)
        self._outages: dict[str, int] = {}
        # method -> seconds to wait before answering a call already done (Slack slow)
        self._late: dict[str, float] = {}
        self._chaos: _Chaos | None = None
        self.faults: dict[str, int] = dict.fromkeys(CHAOS_KINDS, 0)  # what chaos answered
        self.history = MessageLog()
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

            def do_POST(self) -> None:
                standin._handle(self)

            def do_GET(self) -> None:
                standin._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "stand-in not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str = "r") -> str:
        return f"http://127.0.0.1:{self.port}/response/{key}"

    # --- scripting and inspection -------------------------------------------------------
    def add_user(self, user_id: str, name: str, tz: str = "Europe/London") -> None:
        self.users[user_id] = StandInUser(user_id, name, tz)

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        private: bool = False,
        archived: bool = False,
        member: bool = False,
    ) -> None:
        self.channels[channel_id] = StandInChannel(channel_id, name, private, archived, member)

    def channel(self, channel_id: str) -> StandInChannel:
        with self._lock:
            if channel_id not in self.channels:
                private = channel_id.startswith("G")
                self.channels[channel_id] = StandInChannel(
                    channel_id, channel_id.lower(), is_private=private
                )
            return self.channels[channel_id]

    def fail_next(
        self,
        method: str,
        error: str | None = None,
        *,
        status: int = 200,
        retry_after: int | None = None,
    ) -> None:
        """Make the next call to `method` fail with a Slack error or an HTTP status (429…)."""
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(error, status, retry_after))

    def rate_limit(self, retry_after: int, methods: Iterable[str] | None = None) -> None:
        """Answer `429 Too Many Requests` with `Retry-After: retry_after` to every call of
        `methods` (every Web API method if None) until `lift_rate_limit`, as Slack does
        when an app goes over a method's tier."""
        with self._lock:
            for method in ["*"] if methods is None else methods:
                self._rate_limits[method] = retry_after

    def lift_rate_limit(self) -> None:
        with self._lock:
            self._rate_limits.clear()

    def outage(self, status: int = 500, methods: Iterable[str] | None = None) -> None:
        """Answer every call of `methods` (all if None) with HTTP `status` until
        `end_outage`: nothing is done, as when Slack is down."""
        with self._lock:
            for method in ["*"] if methods is None else methods:
                self._outages[method] = status

    def end_outage(self) -> None:
        with self._lock:
            self._outages.clear()

    def answer_late(self, seconds: float, methods: Iterable[str] = ("chat.postMessage",)) -> None:
        """Do each call of `methods` at once (the message is in the channel) but answer only
        after `seconds`: longer than the client's timeout, the app never hears it worked."""
        with self._lock:
            for method in methods:
                self._late[method] = seconds

    def answer_on_time(self) -> None:
        with self._lock:
            self._late.clear()

    def chaos(
        self,
        share: float,
        *,
        seed: int,
        hang: float,
        retry_after: int = 1,
        exempt: Iterable[str] = ("auth.test", "apps.connections.open"),
        kinds: Iterable[str] = CHAOS_KINDS,
    ) -> None:
        """Answer a `share` of Web API calls (other than `exempt`: what a process needs to
        start) badly until `calm`: each
        is a seeded draw of 429 with `Retry-After: retry_after`, 500, or a hang of `hang`
        seconds (past the client's timeout) after or instead of doing the call (`kinds`: a
        subset of CHAOS_KINDS); counted in `faults`."""
        chosen = tuple(kinds)
        if not chosen or set(chosen) - set(CHAOS_KINDS):
            raise ValueError(f"chaos kinds are some of {', '.join(CHAOS_KINDS)}")
        with self._lock:
            self._chaos = _Chaos(
                share, random.Random(seed), hang, retry_after, frozenset(exempt), chosen
            )

    def calm(self) -> None:
        with self._lock:
            self._chaos = None

    def _chaos_draw(self, method: str) -> str | None:
        """Under the lock: the fault this call gets, if any."""
        chaos = self._chaos
        if chaos is None or method in chaos.exempt or chaos.rng.random() >= chaos.share:
            return None
        kind = chaos.rng.choice(chaos.kinds)
        self.faults[kind] += 1
        return kind

    def messages(self, channel: str | None = None) -> list[StandInMessage]:
        """What the channel shows now: each message posted, with its edits."""
        return self.history.messages(channel)

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage, optionally to one channel."""
        return [
            call.params
            for call in self.calls_to("chat.postMessage")
            if channel is None or call.params.get("channel") == channel
        ]

    def post_times(self, channel: str) -> list[datetime]:
        """When each chat.postMessage to `channel` arrived, refused ones included (in order)."""
        return [
            call.at
            for call in self.calls_to("chat.postMessage")
            if call.params.get("channel") == channel and call.at is not None
        ]

    def updated(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [
            call.params
            for call in self.calls_to("chat.update")
            if channel is None or call.params.get("channel") == channel
        ]

    def upload(self, file_id: str) -> tuple[str, bytes]:
        """The filename asked for and the bytes posted for one file id (empty if none)."""
        with self._lock:
            return self._upload_names.get(file_id, ""), self.uploads.get(file_id, b"")

    def files(self, channel: str | None = None) -> list[UploadedFile]:
        """Files shared by a files.completeUploadExternal that worked (optionally into one
        channel), with the bytes posted to their upload URL."""
        shared = []
        with self._lock:
            completed = list(self._completed)
        for params in completed:
            where = str(params.get("channel_id", ""))
            if channel is not None and where != channel:
                continue
            for item in params.get("files") or []:
                file_id = str(item.get("id"))
                name, content = self.upload(file_id)
                shared.append(
                    UploadedFile(
                        file_id,
                        where,
                        name,
                        str(item.get("title") or ""),
                        str(params.get("initial_comment") or ""),
                        content,
                    )
                )
        return shared

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.uploads.clear()
            self._completed.clear()
            self.responses.clear()
            self.responses_to.clear()

    # --- request handling ---------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = urlparse(request.path).path
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        if path.startswith("/upload/"):
            with self._lock:
                self.uploads[path.rsplit("/", 1)[1]] = raw
            return self._send(request, 200, b"OK", "text/plain")
        if path.startswith("/response/"):
            with self._lock:
                message = json.loads(raw or b"{}")
                self.responses.append(message)
                self.responses_to.setdefault(path.rsplit("/", 1)[1], []).append(message)
            return self._send(request, 200, b"ok", "text/plain")
        if not path.startswith("/api/"):
            return self._send(request, 404, b"not found", "text/plain")
        method = path[len("/api/") :]
        params = self._params(request, raw)
        auth = request.headers.get("Authorization", "")
        at = self.clock() if self.clock is not None else datetime.now(UTC)
        call = ApiCall(method, params, auth.removeprefix("Bearer ") or params.get("token"), at)
        with self._lock:
            self.calls.append(call)
            failure = self._failures.get(method, []).pop(0) if self._failures.get(method) else None
            limited = self._rate_limits.get(method, self._rate_limits.get("*"))
            if failure is None and limited is not None:
                failure = _Failure(status=429, retry_after=limited)
            down = self._outages.get(method, self._outages.get("*"))
            if failure is None and down is not None:
                failure = _Failure(status=down)
            late = self._late.get(method)
            lost = 0.0  # a hang before doing anything: the call never happens
            if failure is None:
                fault = self._chaos_draw(method)
                if fault is not None:
                    assert self._chaos is not None
                    call.fault = fault
                    hang, retry_after = self._chaos.hang, self._chaos.retry_after
                    if fault == "429":
                        failure = _Failure(status=429, retry_after=retry_after)
                    elif fault == "500":
                        failure = _Failure(status=500)
                    elif fault == "hang-done":
                        late = hang
                    else:
                        lost = hang
                        failure = _Failure(status=500)
        if self.on_call is not None:
            self.on_call(call)
        if lost:
            time.sleep(lost)  # the client has given up by now
        if failure is not None:
            if failure.status != 200:
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
                error = "ratelimited" if failure.status == 429 else "internal_error"
                body = json.dumps({"ok": False, "error": error}).encode()
                with contextlib.suppress(OSError):
                    self._send(request, failure.status, body, "application/json", headers)
                return None
            body = json.dumps({"ok": False, "error": failure.error}).encode()
            return self._send(request, 200, body, "application/json")
        body = json.dumps(self._answer(method, params)).encode()
        if late:
            time.sleep(late)  # done already; the client may have given up waiting
        with contextlib.suppress(OSError):
            self._send(request, 200, body, "application/json")

    @staticmethod
    def _params(request: BaseHTTPRequestHandler, raw: bytes) -> dict[str, Any]:
        content_type = request.headers.get("Content-Type", "")
        query = dict(parse_qsl(urlparse(request.path).query))
        if "application/json" in content_type:
            params = json.loads(raw or b"{}")
        else:
            params = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            for key in ("blocks", "attachments", "view", "files", "metadata"):
                if isinstance(params.get(key), str):
                    with contextlib.suppress(ValueError):
                        params[key] = json.loads(params[key])
        return {**query, **params}

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(body)

    def _next_ts(self) -> str:
        with self._lock:
            # Real seconds, as Slack's are (history's `oldest` compares them); unique by count.
            return f"{int(time.time())}.{next(self._ts):06d}"

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        # One branch per Web API method, in one place: it reads better whole, as a list.
        channel = params.get("channel", "")
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://standin.slack.com/",
                "team": "Stand-in",
                "user": "hourglass",
                "team_id": STANDIN_TEAM,
                "user_id": "UHOURGLASS",
                "bot_id": "BHOURGLASS",
            }
        if method in {"conversations.info", "conversations.join"}:
            return self._conversation(method, channel)
        if method in {"conversations.history", "conversations.replies"}:
            refused = self._refuses_reading(channel)
            if refused:
                return {"ok": False, "error": refused}
            if method == "conversations.history":
                return self.history.history(channel, params)
            return self.history.replies(channel, params)
        if method == "chat.postMessage":
            refused = self._refuses_post(channel)
            if refused:
                return {"ok": False, "error": refused}
            if channel.startswith(("U", "W")):
                channel = "D" + channel[1:]
            posted = self.history.post(channel, self._next_ts(), params)
            return {
                "ok": True,
                "channel": channel,
                "ts": posted.ts,
                "message": posted.as_slack(with_metadata=True),
            }
        if method == "chat.update":
            self.history.update(channel, str(params.get("ts")), params)
            return {
                "ok": True,
                "channel": channel,
                "ts": params.get("ts"),
                "text": params.get("text"),
            }
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", ""))
            link = f"https://standin.slack.com/archives/{channel}/p{ts.replace('.', '')}"
            return {"ok": True, "channel": channel, "permalink": link}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "conversations.open":
            user = str(params.get("users", "U0")).split(",")[0]
            return {"ok": True, "channel": {"id": "D" + user[1:]}}
        if method == "users.info":
            profile = self.users.get(params.get("user", ""))
            if profile is None:
                return {"ok": False, "error": "user_not_found"}
            return {
                "ok": True,
                "user": {
                    "id": profile.id,
                    "name": profile.name,
                    "real_name": profile.name,
                    "tz": profile.tz,
                    "is_bot": profile.is_bot,
                },
            }
        if method == "conversations.list":
            return {"ok": True, "channels": [c.info() for c in self.channels.values()]}
        if method == "users.list":
            return {"ok": True, "members": [self._member(u) for u in self.users.values()]}
        if method == "usergroups.list":
            return {
                "ok": True,
                "usergroups": [
                    {"id": gid, "handle": handle} for gid, (handle, _) in self.usergroups.items()
                ],
            }
        if method == "usergroups.users.list":
            group = self.usergroups.get(params.get("usergroup", ""))
            if group is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": group[1]}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            with self._lock:
                self._upload_names[file_id] = str(params.get("filename", ""))
            return {
                "ok": True,
                "file_id": file_id,
                "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
            }
        if method == "files.completeUploadExternal":
            files = params.get("files") or []
            with self._lock:
                self._completed.append(params)
            return {
                "ok": True,
                "files": [{"id": f.get("id"), "title": f.get("title")} for f in files],
            }
        if method == "apps.connections.open":
            # Unless a Socket Mode stand-in is set, nothing listens there: enough for a test
            # to see Socket Mode reach for it.
            url = self.socket_mode_url or f"ws://127.0.0.1:{self.port}/socket-mode"
            return {"ok": True, "url": url}
        if method in {"views.open", "views.publish", "views.update", "views.push"}:
            return {"ok": True, "view": {"id": "V0000001", **(params.get("view") or {})}}
        return {"ok": True}

    @staticmethod
    def _member(user: StandInUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "name": user.name,
            "real_name": user.name,
            "is_bot": user.is_bot,
            "profile": {"display_name": user.name},
        }

    def _conversation(self, method: str, channel_id: str) -> dict[str, Any]:
        """conversations.info and .join as Slack answers a bot: a private channel it is not
        in does not exist for it, and it cannot join one; an archived one cannot be joined."""
        channel = self.channel(channel_id)
        if channel.is_private and not channel.is_member:
            return {"ok": False, "error": "channel_not_found"}
        if method == "conversations.info":
            return {"ok": True, "channel": channel.info()}
        if channel.is_private:
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        if channel.is_archived:
            return {"ok": False, "error": "is_archived"}
        already = channel.is_member
        channel.is_member = True
        answer: dict[str, Any] = {"ok": True, "channel": channel.info()}
        if already:
            answer["warning"] = "already_in_channel"
        return answer

    def _refuses_reading(self, channel_id: str) -> str | None:
        """Why conversations.history fails: a bot reads only channels it is in (and its own
        DMs)."""
        if channel_id.startswith("D"):
            return None
        channel = self.channel(channel_id)
        if channel.is_private and not channel.is_member:
            return "channel_not_found"
        return None if channel.is_member else "not_in_channel"

    def _refuses_post(self, channel_id: str) -> str | None:
        """Why chat.postMessage fails in a scripted channel (a public one takes posts from
        an app that is not in it: chat:write.public)."""
        channel = self.channels.get(channel_id)
        if channel is None:
            return None
        if channel.is_private and not channel.is_member:
            return "channel_not_found" if not channel.is_archived else "is_archived"
        if channel.is_archived:
            return "is_archived"
        return None


# --- signed requests, as Slack sends them ---------------------------------------------------


def signed_headers(signing_secret: str, body: str, timestamp: int) -> dict[str, str]:
    """The headers Slack adds to a request: what Bolt's signature check verifies."""
    signature = SignatureVerifier(signing_secret).generate_signature(
        timestamp=str(timestamp), body=body
    )
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(timestamp),
        "x-slack-signature": str(signature),
    }


_triggers = itertools.count(1)


def new_trigger_id() -> str:
    """A fresh trigger_id: Slack gives every command and interaction its own, so no two
    requests it signs are the same bytes (handlers/gate.py refuses a repeated signature)."""
    return f"{next(_triggers)}.{secrets.token_hex(6)}"


def slash_command_body(
    command: str,
    text: str,
    *,
    user_id: str,
    channel_id: str = "CSUPPORT",
    response_url: str = "",
    team_id: str = STANDIN_TEAM,
    trigger_id: str | None = None,
) -> str:
    return urlencode(
        {
            "token": "legacy-unused",
            "team_id": team_id,
            "channel_id": channel_id,
            "channel_name": "support",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "response_url": response_url,
            "trigger_id": trigger_id or new_trigger_id(),
        }
    )


def event_callback(
    event: dict[str, Any],
    *,
    signing_secret: str,
    event_id: str,
    retry_num: int | None = None,
    team_id: str = STANDIN_TEAM,
    authorizations: list[dict[str, Any]] | None = None,
) -> tuple[str, dict[str, str]]:
    """An Events API callback body and its signed headers; Slack's retries carry
    X-Slack-Retry-Num and are signed again when sent, so each has its own signature (here
    its timestamp is `retry_num` seconds on, as if sent that much later)."""
    envelope: dict[str, Any] = {
        "token": "legacy-unused",
        "team_id": team_id,
        "api_app_id": "A00000001",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": event,
    }
    if authorizations is not None:  # a shared channel's event: which installation sees it
        envelope["authorizations"] = authorizations
    body = json.dumps(envelope)
    headers = {
        **signed_headers(signing_secret, body, int(time.time()) + (retry_num or 0)),
        "content-type": "application/json",
    }
    if retry_num is not None:
        headers["x-slack-retry-num"] = str(retry_num)
        headers["x-slack-retry-reason"] = "http_timeout"
    return body, headers


def split_command_line(line: str) -> tuple[str, str]:
    """`/timer start acme jane` -> ("/timer", "start acme jane")."""
    command, _, text = line.strip().partition(" ")
    return command, text.strip()
