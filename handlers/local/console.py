"""`hourglass console`: type slash commands as a Slack user; replies and alerts print here.

Each line is signed with a local secret and dispatched through the real Bolt app, exactly
as an HTTP request from Slack would be; what the app sends to Slack goes to a local
stand-in and is printed. No tokens or network needed.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot import roles
from bot.alerts.delivery import DeliveryReport
from bot.alerts.pacing import virtual
from bot.clock import Clock, FixedClock, SystemClock
from bot.policy.model import Policy
from handlers.common import WORKING
from handlers.local.standin import (
    STANDIN_TEAM,
    ApiCall,
    SlackStandIn,
    event_callback,
    new_trigger_id,
    signed_headers,
    slash_command_body,
    split_command_line,
)
from store.db import Database

TYPED = {"duration", "note", "caller", "subject"}  # the forms' text fields; the rest are picked
# `#acme` as typed (a name with a letter in it, so `#12` stays an id)
TYPED_CHANNEL = re.compile(r"(?<![<\w])#([a-z0-9._-]*[a-z][a-z0-9._-]*)", re.IGNORECASE)
SHOWN = {"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.publish"}


def describe_call(call: ApiCall) -> str | None:
    """A Web API call as a person would read it, or None for bookkeeping calls."""
    params = call.params
    if call.method == "chat.postMessage":
        thread = f" (in the thread of {params['thread_ts']})" if params.get("thread_ts") else ""
        return f"  → posted to {params.get('channel')}{thread}: {params.get('text')}"
    if call.method == "chat.update":
        return f"  → updated in {params.get('channel')}: {params.get('text')}"
    if call.method == "chat.postEphemeral":
        return (
            f"  → only {params.get('user')} sees in {params.get('channel')}: {params.get('text')}"
        )
    if call.method == "files.completeUploadExternal":
        files = params.get("files") or []
        return f"  → file {', '.join(str(f.get('title')) for f in files)} shared"
    if call.method in {"views.open", "views.publish"}:
        view = params.get("view") or {}
        title = (view.get("title") or {}).get("text") if isinstance(view, dict) else None
        return f"  → {call.method} {title or ''}".rstrip()
    return None


@dataclass(frozen=True)
class LocalWiring:
    """What the composition root (app.py) hands the local tools, so they never import it back."""

    settings_from_env: Callable[[dict[str, str]], Any]
    slack_client: Callable[[str | None, str], WebClient]
    create_app: Callable[..., App]
    open_database: Callable[[Any, Policy], Database]
    tick: Callable[..., DeliveryReport]  # app.tick(database, policy, client, now, pace=…)


class LocalSlack:
    """A Bolt app wired to a stand-in, driven by typed command lines."""

    def __init__(
        self,
        wiring: LocalWiring,
        settings: Any,
        database: Database,
        policy: Policy,
        clock: Clock,
        *,
        echo: Callable[[str], object] = print,
        files_dir: Path | None = None,
    ) -> None:
        self.echo = echo
        # Where files the app uploads (charts, PDF statements) are saved; a new temporary
        # directory when the first one comes, unless given.
        self.files_dir = files_dir
        self.secret = secrets.token_hex(16)
        self.standin = SlackStandIn(on_call=self._show).start()
        self.settings = dataclasses.replace(
            settings,
            signing_secret=self.secret,
            bot_token="xoxb-local",
            api_url=self.standin.base_url,
            app_token=None,
        )
        self.database, self.policy, self.clock = database, policy, clock
        self.client = wiring.slack_client("xoxb-local", self.standin.base_url)
        self.app = wiring.create_app(
            self.settings, database=database, policy=policy, clock=clock, client=self.client
        )
        self._tick = wiring.tick
        self._wiring = wiring

    def restart(self, policy: Policy) -> None:
        """Start the app again with `policy` (an edited policy file), on the same database."""
        self.policy = policy
        self.app = self._wiring.create_app(
            self.settings,
            database=self.database,
            policy=policy,
            clock=self.clock,
            client=self.client,
        )

    def _show(self, call: ApiCall) -> None:
        if call.method == "files.completeUploadExternal":
            for path, title in self._save(call):
                self.echo(f"  → file {title} shared in {call.params.get('channel_id')}: {path}")
            return
        line = describe_call(call)
        if line:
            self.echo(line)

    def _save(self, call: ApiCall) -> list[tuple[Path, str]]:
        """Each file of an upload, written to `files_dir` under the name the app gave it."""
        if self.files_dir is None:
            self.files_dir = Path(tempfile.mkdtemp(prefix="hourglass-files-"))
        self.files_dir.mkdir(parents=True, exist_ok=True)
        saved = []
        for item in call.params.get("files") or []:
            name, content = self.standin.upload(str(item.get("id")))
            path = self.files_dir / (Path(name).name or f"{item.get('id')}.bin")
            path.write_bytes(content)
            saved.append((path, str(item.get("title") or path.name)))
        return saved

    def command(self, line: str, user_id: str, channel_id: str = "CCONSOLE") -> dict[str, Any]:
        name, text = split_command_line(line)
        self.channels_named(text)
        body = slash_command_body(
            name,
            text,
            user_id=user_id,
            channel_id=channel_id,
            response_url=self.standin.response_url(),
        )
        request = BoltRequest(
            body=body, headers={**signed_headers(self.secret, body, int(time.time()))}
        )
        answered = len(self.standin.responses)
        response = self.app.dispatch(request)
        if response.status == 404:
            return {"text": f"(no such command {name})"}
        try:
            acked = json.loads(response.body) if response.body else {"text": ""}
        except ValueError:
            acked = {"text": response.body}
        return self._with_what_followed(acked, answered)

    def channels_named(self, text: str) -> None:
        """Nobody can create a channel in the console, so a `#name` typed is taken to be one
        that exists in the workspace: the stand-in gets a public channel of that name (the
        app not in it yet), which the app then finds by name as it would in Slack."""
        for name in TYPED_CHANNEL.findall(text):
            name = name.lower()
            if any(c.name == name for c in self.standin.channels.values()):
                continue
            ident = "C" + re.sub(r"[^A-Z0-9]", "", name.upper())[:20]
            while ident in self.standin.channels:
                ident += "0"
            self.standin.add_channel(ident, name)

    def _with_what_followed(self, acked: dict[str, Any], answered: int) -> dict[str, Any]:
        """The ack, and what was sent after it through response_url (the answer to a
        "One moment", a CSV's line)."""
        self.app.hourglass.later.drain()  # type: ignore[attr-defined]
        followed = self.standin.responses[answered:]
        if not followed:
            return acked
        first = followed[0] if acked.get("text") == WORKING else acked
        lines = [acked.get("text", ""), *(f.get("text", "") for f in followed)]
        return {**first, "text": "\n".join(line for line in lines if line)}

    def action(self, action_id: str, value: str, user_id: str) -> str:
        """Click a button as `user_id` (a signed block_actions payload); the answer the app
        sent back to the message, if any."""
        payload = {
            "type": "block_actions",
            "team": {"id": STANDIN_TEAM},
            "user": {"id": user_id},
            "trigger_id": new_trigger_id(),
            "container": {"type": "message"},
            "response_url": self.standin.response_url("action"),
            "actions": [{"type": "button", "action_id": action_id, "value": value}],
        }
        return self._interact(payload)

    def shortcut(self, callback_id: str, channel_id: str, text: str, user_id: str) -> str:
        """Fire a message shortcut (e.g. log_time_on_message) on a message reading `text` in
        `channel_id`, as `user_id`; the form it opens prints as views.open, and any answer
        sent back is returned."""
        ts = f"{int(time.time())}.000100"
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "team": {"id": STANDIN_TEAM},
            "user": {"id": user_id},
            "trigger_id": new_trigger_id(),
            "channel": {"id": channel_id},
            "message_ts": ts,
            "message": {"type": "message", "ts": ts, "text": text},
            "response_url": self.standin.response_url("shortcut"),
        }
        return self._interact(payload)

    def submit(self, callback_id: str, values: dict[str, str], user_id: str) -> dict[str, Any]:
        """Submit one of the forms (log_time, record_call, open_ticket) as `user_id`, each
        field (block id) holding what was typed or picked; the answer (`errors` by field)."""
        state = {
            block: {
                "value": {"value": value}
                if block in TYPED
                else {"selected_option": {"value": value}}
            }
            for block, value in values.items()
        }
        view = {"type": "modal", "callback_id": callback_id, "state": {"values": state}}
        payload = {
            "type": "view_submission",
            "team": {"id": STANDIN_TEAM},
            "user": {"id": user_id},
            "trigger_id": new_trigger_id(),
            "view": view,
        }
        body = urlencode({"payload": json.dumps(payload)})
        headers: dict[str, str | Sequence[str]] = {
            **signed_headers(self.secret, body, int(time.time()))
        }
        response = self.app.dispatch(BoltRequest(body=body, headers=headers))
        # What the submission posts after its commit (the receipt DM) is printed before the
        # next line of a script, as for commands and clicks.
        self.app.hourglass.later.drain()  # type: ignore[attr-defined]
        return json.loads(response.body) if response.body else {}

    def _interact(self, payload: dict[str, Any]) -> str:
        answered = len(self.standin.responses)
        body = urlencode({"payload": json.dumps(payload)})
        headers: dict[str, str | Sequence[str]] = {
            **signed_headers(self.secret, body, int(time.time()))
        }
        self.app.dispatch(BoltRequest(body=body, headers=headers))
        self.app.hourglass.later.drain()  # type: ignore[attr-defined]
        return "\n".join(r.get("text", "") for r in self.standin.responses[answered:])

    def event(self, event: dict[str, Any], event_id: str, retry_num: int | None = None) -> int:
        """Dispatch a signed Events API callback (as Slack would send it); the HTTP status."""
        body, headers = event_callback(
            event, signing_secret=self.secret, event_id=event_id, retry_num=retry_num
        )
        status = self.app.dispatch(BoltRequest(body=body, headers={**headers})).status
        self.app.hourglass.later.drain()  # type: ignore[attr-defined]
        return status

    def sweep(self) -> DeliveryReport:
        """One tick. On a fixed clock (the demo) Slack's one-post-a-second pacing runs on a
        copy of it that waiting moves on: paced all the same, with no real sleep."""
        now = self.clock.now()
        pace = virtual(FixedClock(now)) if isinstance(self.clock, FixedClock) else None
        return self._tick(self.database, self.policy, self.client, now, pace=pace)

    def close(self) -> None:
        self.standin.stop()


def main(
    wiring: LocalWiring, settings: Any, policy: Policy, *, user: str, role: str, tz: str | None
) -> int:
    database = wiring.open_database(settings, policy)
    clock = SystemClock()
    local = LocalSlack(wiring, settings, database, policy, clock)
    local.standin.add_user(user, "console user", tz or policy.timezone.key)
    if role != "none":
        with database.session() as db:
            roles.grant(db, user, role, "console", clock.now())
    print(f"Hourglass console on {settings.database_url} as {user} ({role}). Type /hourglass help,")
    print("`:user U123` to switch user, `:sweep` to run the clock now, `:quit` to leave;")
    print("`:shortcut log_time_on_message <channel> <text>` fires a message shortcut.")
    try:
        while True:
            try:
                line = input(f"{user}> ").strip()
            except EOFError:
                break
            if not line:
                continue
            if line in {":quit", ":q", "exit"}:
                break
            if line.startswith(":user "):
                user = line.split()[1]
                local.standin.add_user(user, user, tz or policy.timezone.key)
                continue
            if line.startswith(":shortcut "):  # :shortcut <callback id> <channel> <text…>
                parts = line.split(maxsplit=3)
                if len(parts) < 3:
                    print(
                        "  :shortcut log_time_on_message|open_ticket_from_message <channel> <text>"
                    )
                    continue
                print(local.shortcut(parts[1], parts[2], parts[3] if len(parts) > 3 else "", user))
                continue
            if line == ":sweep":
                report = local.sweep()
                print(f"  (sweep: {report.posted} posted, {report.updated} updated)")
                continue
            if not line.startswith("/"):
                print("  Commands start with /, e.g. /hourglass help")
                continue
            print(local.command(line, user).get("text", ""))
            local.sweep()
    finally:
        local.close()
    return 0
