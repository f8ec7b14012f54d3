"""Test harness: the app served over real HTTP, signed slash commands, a Slack stand-in."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import app as hourglass_app
from bot.alerts.pacing import virtual
from bot.clock import FixedClock
from bot.policy.model import Policy
from handlers.common import WORKING
from handlers.local.standin import (
    SlackStandIn,
    event_callback,
    new_trigger_id,
    signed_headers,
    slash_command_body,
    split_command_line,
)
from store.db import Database

SIGNING_SECRET = "test-signing-secret"
MANAGER, AGENT, STRANGER = "UMANAGER1", "UAGENT001", "USTRANGER"


@dataclass
class Reply:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    raw: str = ""
    seconds: float = 0.0  # how long Slack waited for the HTTP answer (the ack)
    acked: dict[str, Any] = field(default_factory=dict)  # the ack's own body
    key: str = ""  # a command's response_url key: stand-in responses_to[key] followed the ack
    trigger_id: str = ""  # a command's trigger_id (a form it opens is opened with it)

    @property
    def text(self) -> str:
        return self.body.get("text", "")


def post_signed(url: str, body: str, headers: dict[str, str]) -> Reply:
    """POST a body to the app as Slack would; the status and the parsed JSON reply."""
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw, status = response.read().decode(), response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read().decode(), exc.code
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {"text": raw}
    return Reply(status, parsed, raw)


_keys = itertools.count(1)


class SlackApp:
    """The Bolt app on a free port, driven like Slack drives it: signed HTTP posts."""

    def __init__(
        self,
        database: Database,
        policy: Policy,
        standin: SlackStandIn,
        clock: FixedClock,
        *,
        team_id: str | None = None,
    ):
        self.database, self.policy, self.standin, self.clock = database, policy, standin, clock
        self.pacing = FixedClock(clock.now())  # the outbox's pacing clock (see sweep)
        standin.clock = self.pacing.now
        settings = hourglass_app.Settings.from_env(
            {
                "DATABASE_URL": database.url,
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": standin.base_url,
            }
        )
        self.client = hourglass_app.slack_client("xoxb-test", standin.base_url)
        self.bolt = hourglass_app.create_app(
            settings,
            database=database,
            policy=policy,
            clock=clock,
            client=self.client,
            team_id=team_id,  # None: the stand-in's auth.test workspace, T00000001
        )
        self.server = hourglass_app.serve_http(self.bolt, 0, host="127.0.0.1")
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def post(self, body: str, headers: dict[str, str], *, wait: bool = True) -> Reply:
        """Post as Slack does; the reply says how long the ack took. `wait`: also wait for
        the work after the ack (handlers/later.py) to finish, as a person would."""
        started = time.monotonic()
        reply = post_signed(self.url, body, headers)
        reply.seconds = time.monotonic() - started
        reply.acked = reply.body
        if wait:
            self.bolt.hourglass.later.drain()
        return reply

    def command(
        self,
        line: str,
        user: str = AGENT,
        channel: str = "CSUPPORT",
        *,
        secret=SIGNING_SECRET,
        wait: bool = True,
    ) -> Reply:
        """A signed slash command. If it was acknowledged with "One moment" (it had to ask
        Slack first), the reply is the answer that followed through response_url."""
        name, text = split_command_line(line)
        key, trigger_id = f"command-{next(_keys)}", new_trigger_id()
        body = slash_command_body(
            name,
            text,
            user_id=user,
            channel_id=channel,
            response_url=self.standin.response_url(key),
            trigger_id=trigger_id,
        )
        reply = self.post(body, signed_headers(secret, body, int(time.time())), wait=wait)
        reply.key, reply.trigger_id = key, trigger_id
        if wait and reply.body.get("text") == WORKING:
            later = self.standin.responses_to.get(key) or [{}]
            reply.body = later[0]
        return reply

    def said(self, reply: Reply) -> str:
        """The reply and every line that followed it through its response_url (work the
        command does after the ack, e.g. checking a channel with Slack)."""
        later = self.standin.responses_to.get(reply.key, [])
        return "\n".join([reply.text, *(r.get("text", "") for r in later)])

    def interaction(self, payload: dict[str, Any], *, secret=SIGNING_SECRET) -> Reply:
        """Post a signed interactivity request (`payload=<json>`), as Slack sends view
        submissions and block actions."""
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, signed_headers(secret, body, int(time.time())))

    def action(
        self,
        action_id: str,
        value: str,
        user: str = AGENT,
        *,
        container: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        response_url: bool = True,
    ) -> Reply:
        """Click a Block Kit button: a signed block_actions payload, as Slack sends it."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": "T00000001"},
            "user": {"id": user, "name": user.lower()},
            "api_app_id": "A00000001",
            "token": "legacy-unused",
            "trigger_id": new_trigger_id(),
            "container": container or {"type": "message"},
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": value,
                    "action_ts": str(time.time()),
                }
            ],
        }
        if response_url:
            payload["response_url"] = self.standin.response_url("action")
        if view is not None:
            payload["view"] = view
        return self.interaction(payload)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        secret: str = SIGNING_SECRET,
        **envelope: Any,
    ) -> Reply:
        """An Events API callback, signed like Slack signs it (retries carry X-Slack-Retry-Num);
        each event its own id unless one is given; `envelope`: team_id or authorizations
        other than the installed workspace's."""
        event_id = event_id or f"Ev{next(_keys):08d}"
        body, headers = event_callback(
            event, signing_secret=secret, event_id=event_id, retry_num=retry_num, **envelope
        )
        return self.post(body, headers)

    def sweep(self, at: datetime | None = None):
        if at is not None:
            self.clock.set(at)
        # Slack's pacing on a clock of its own that waiting moves on (no real sleep), never
        # behind the test's, which stays where the test put it. The stand-in stamps calls
        # with it, so the spacing of posts can be read off.
        now = self.clock.now()
        self.pacing.set(max(now, self.pacing.now()))
        pace = virtual(self.pacing)
        return hourglass_app.tick(self.database, self.policy, self.client, now, pace=pace)


# --- Hourglass as a real process ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "import sys, app; sys.exit(app.main(sys.argv[1:]))"]


def view_submission(
    callback_id: str, values: dict, *, user: str = AGENT, private_metadata: str = ""
) -> dict:
    """A form's view_submission payload as Slack sends it, each field as
    {block: {action: state}}; sent signed with `SlackApp.interaction`."""
    return {
        "type": "view_submission",
        "team": {"id": "T00000001"},
        "user": {"id": user},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": new_trigger_id(),
        "view": {
            "id": "V0000001",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "blocks": [{"type": "input", "block_id": block} for block in values],
            "state": {"values": values},
        },
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(env: dict[str, str]) -> dict[str, str]:
    """A clean environment for the app: the machine's basics plus `env`, with no stray Slack
    settings from the developer's shell."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "SYSTEMROOT", "TMPDIR"}
    base = {k: v for k, v in os.environ.items() if k in keep}
    return {**base, "LOG_LEVEL": "WARNING", **env}


def run_cli(*args: str, env: dict[str, str], input_text: str | None = None, timeout: float = 60):
    """`hourglass ARGS` as a subprocess running this checkout's code."""
    return subprocess.run(
        [*CLI, *args],
        cwd=ROOT,
        env=process_env(env),
        capture_output=True,
        text=True,
        input=input_text,
        timeout=timeout,
    )


class AppProcess:
    """`hourglass run` (python app.py) in HTTP mode on a free port, driven over HTTP."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        signing_secret: str = SIGNING_SECRET,
        standin: SlackStandIn | None = None,
    ):
        self.port = int(env.get("PORT") or free_port())
        self.env = {**env, "PORT": str(self.port)}
        self.secret = signing_secret
        self.standin = standin  # where answers sent after the ack (response_url) arrive
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def launch(self) -> subprocess.Popen:
        """The process started, not waited for (Socket Mode has no /healthz to wait on)."""
        self.process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=process_env(self.env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        return self.process

    def start(self) -> AppProcess:
        self.launch()
        assert self.process is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"app exited: {self.process.stderr.read()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.process.kill()
        raise AssertionError("app did not come up within 30 s")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=10)

    def __enter__(self) -> AppProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()

    def post(self, body: str, headers: dict[str, str]) -> Reply:
        return post_signed(self.url, body, headers)

    def command(self, line: str, user: str = AGENT, *, response_url: str = "") -> Reply:
        """A signed slash command; with a stand-in, an answer that follows a "One moment"
        ack through response_url is the reply."""
        name, text = split_command_line(line)
        key = f"process-{next(_keys)}"
        if self.standin is not None and not response_url:
            response_url = self.standin.response_url(key)
        body = slash_command_body(name, text, user_id=user, response_url=response_url)
        reply = self.post(body, signed_headers(self.secret, body, int(time.time())))
        if reply.body.get("text") != WORKING or self.standin is None:
            return reply
        key = response_url.rsplit("/", 1)[1]
        deadline = time.monotonic() + 30
        while not self.standin.responses_to.get(key) and time.monotonic() < deadline:
            time.sleep(0.02)
        reply.body = (self.standin.responses_to.get(key) or [{}])[0]
        return reply
