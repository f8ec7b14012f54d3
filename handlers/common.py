"""The one way a slash command or a button click runs: role check, parse, call bot/, reply.

A refused command raises before anything is committed, so it changes nothing; the error
becomes a reply in one place, the Slack edge (handlers/edge.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from weakref import WeakSet
from zoneinfo import ZoneInfo

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.alerts import nowhere
from bot.blocks import sections
from bot.parsing import InputError
from bot.policy.model import Policy
from bot.roles import require
from handlers.context import Hourglass, hourglass_of
from handlers.help import Help, suggest
from handlers.help import as_typed as typed_usage
from handlers.identity import (
    Unresolved,
    group_members,
    nothing_stale,
    refresh_stale,
    user_timezone,
)

T = TypeVar("T")
# The ack of a command that must ask Slack something first; the answer follows.
WORKING = ":hourglass_flowing_sand: One moment…"


@dataclass
class Reply:
    text: str
    blocks: list[dict[str, Any]] | None = None
    # Slack calls to make once the command's transaction has committed, so slow I/O never
    # holds the database; each returns a line to add to the reply (or None).
    after_commit: list[Callable[[], str | None]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "response_type": "ephemeral",
            "text": self.text,
            "blocks": self.blocks or text_blocks(self.text),
        }


def text_blocks(text: str, context: str | None = None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = sections(text)
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return blocks


def error_reply(message: str, usage: str | None) -> Reply:
    message = message[:1].upper() + message[1:]
    text = (
        f":warning: {message}." if not message.endswith((".", "?", "!")) else f":warning: {message}"
    )
    if usage:
        return Reply(f"{text}\nUsage: `{usage}`", text_blocks(text, f"Usage: `{usage}`"))
    return Reply(text)


@dataclass
class CommandCall:
    """One slash command, with what a handler needs to serve it."""

    hg: Hourglass
    db: Session
    client: WebClient
    user_id: str
    channel_id: str
    text: str
    now: datetime
    role: str
    tokens: list[str] = field(default_factory=list)
    trigger_id: str = ""  # lets a command open a modal
    page_from: int = 0  # a long list's *More* button asks for the page from this item
    # Before the ack: a lookup only Slack can answer raises Unresolved (see run_command).
    strict: bool = False

    @property
    def policy(self) -> Policy:
        return self.hg.policy

    def user_tz(self) -> ZoneInfo:
        return user_timezone(self.hg, self.db, self.user_id, strict=self.strict)


Handler = Callable[[CommandCall], Reply]
H = TypeVar("H", bound=Callable[..., Any])
# Handlers that only read (marked by `reads`): served in a read-only transaction. Weak: the
# help and typo routes are closures made per request.
READS: WeakSet[Callable[..., Any]] = WeakSet()


def reads(handler: H) -> H:
    """Mark a handler that only reads (`/balance`, the lists): run_command and run_action
    serve it in `Database.session(readonly=True)`, which takes no write lock (SQLite readers
    never queue behind writers) and refuses a write, so a wrongly marked handler fails its
    tests instead of writing. Cache writes (user profiles) happen after the ack, apart."""
    READS.add(handler)
    return handler


def run_command(
    *,
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    handler: Handler,
    role: str,
    usage: str | None,
) -> None:
    """Serve one slash command in one transaction, acknowledged within Slack's 3 seconds.

    No Slack call is made before the ack or inside the transaction: the user's timezone and
    groups come from the cache (handlers/identity.py), and the reply is the ack. If only
    Slack can say (a new user), the transaction is rolled back, the ack says "one moment",
    and after it the lookup is made and the command runs once, answered through
    `response_url`. Slack calls a reply needs (the CSV upload) run after the ack too.
    A refusal raises out of here; the edge answers it with `usage` under the message."""
    hg = hourglass_of(context)
    context["usage"] = as_typed(usage, command.get("command"))
    user_id = command["user_id"]

    def serve(strict: bool) -> Reply:
        return _serve(hg, command, client, handler, role, strict=strict)

    def after(reply: Reply) -> None:
        for followup in reply.after_commit:
            line = followup()
            if line and context.respond is not None:
                context.respond(text=line, response_type="ephemeral")
        refresh_stale(hg, client, user_id, hg.clock.now())

    def resolve_then_serve(others: tuple[str, ...]) -> None:
        refresh_stale(hg, client, user_id, hg.clock.now(), others)
        try:
            reply = serve(strict=True)
        except Unresolved as missing:  # more to look up (e.g. the engineers named)
            refresh_stale(hg, client, user_id, hg.clock.now(), missing.users)
            reply = serve(strict=False)
        if context.respond is not None:
            context.respond(**reply.payload())
        after(reply)

    try:
        reply = serve(strict=True)
    except Unresolved as missing:
        others = missing.users  # the name `missing` is unbound when the except block ends
        ack(**Reply(WORKING).payload())
        hg.later.run(lambda: resolve_then_serve(others), command, context)
        return
    ack(**reply.payload())
    if reply.after_commit or not nothing_stale(hg, user_id, hg.clock.now()):
        hg.later.run(lambda: after(reply), command, context)


def _serve(
    hg: Hourglass,
    command: dict[str, Any],
    client: WebClient,
    handler: Handler,
    role: str,
    *,
    strict: bool,
) -> Reply:
    text = (command.get("text") or "").strip()
    with hg.database.session(readonly=handler in READS) as db:
        members = group_members(hg, strict=strict)
        granted = require(db, hg.policy, command["user_id"], role, members)
        # Known before anything is written: a rolled-back attempt would still use up ids
        # (Postgres sequences), so a new user's first command goes the "One moment" way.
        user_timezone(hg, db, command["user_id"], strict=strict)
        call = CommandCall(
            hg=hg,
            db=db,
            client=client,
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
            text=text,
            now=hg.clock.now(),
            role=granted,
            tokens=text.split(),
            trigger_id=command.get("trigger_id", ""),
            strict=strict,
        )
        return with_nowhere_alerts(handler(call), db)


def with_nowhere_alerts(reply: Reply, db: Session) -> Reply:
    """The reply, telling the person of each alert their command raised that has nowhere to
    be posted (issue 19 item 7): kept in the outbox, but nobody would read it."""
    lines = [note.line() for note in nowhere.taken(db)]
    if not lines:
        return reply
    reply.text = "\n".join([reply.text, *lines])
    if reply.blocks is not None:
        reply.blocks = [*reply.blocks, *text_blocks("\n".join(lines))]
    return reply


def as_typed(usage: str | None, command: str | None) -> str | None:
    """The usage line under the command the user typed (handlers.help.as_typed)."""
    return typed_usage(usage, command) if usage else usage


@dataclass
class ActionCall:
    """One button click, with what a handler needs to serve it."""

    hg: Hourglass
    db: Session
    client: WebClient
    user_id: str
    value: str
    now: datetime
    body: dict[str, Any]
    role: str = "agent"  # the clicker's own role (at least the one the button needs)

    @property
    def policy(self) -> Policy:
        return self.hg.policy

    def as_command(self, typed: str, *, page_from: int = 0) -> CommandCall:
        """The command `typed` (what followed the slash command) as if the clicker had typed
        it in the button's channel: how *More* and *Log again* run a command from a click."""
        return CommandCall(
            hg=self.hg,
            db=self.db,
            client=self.client,
            user_id=self.user_id,
            channel_id=str((self.body.get("channel") or {}).get("id", "")),
            text=typed,
            now=self.now,
            role=self.role,
            tokens=typed.split(),
            page_from=page_from,
        )


def run_action(
    *,
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    handler: Callable[[ActionCall], T],
    role: str = "agent",
    readonly: bool = False,
) -> T:
    """Serve one button click like a slash command: acknowledge at once, check the role,
    run the handler in one transaction. Returns the text to tell the user; a refusal
    raises out of here (nothing is recorded) and the edge tells the user why.

    The user's profile and groups are brought up to date after the ack and before the
    transaction opens, so no Slack call is made inside it."""
    ack()
    hg = hourglass_of(context)
    user_id = body["user"]["id"]
    value = (body.get("actions") or [{}])[0].get("value", "")
    refresh_stale(hg, client, user_id, hg.clock.now())
    with hg.database.session(readonly=readonly or handler in READS) as db:
        granted = require(db, hg.policy, user_id, role, group_members(hg))
        call = ActionCall(hg, db, client, user_id, value, hg.clock.now(), body, granted)
        return handler(call)


Route = tuple[Handler, str, str | None]
Listener = Callable[[Ack, dict[str, Any], WebClient, BoltContext], None]


def subcommands(
    routes: Mapping[str, Route],
    help_text: str,
    *,
    fallback: Route | None = None,
    help: Help | None = None,  # noqa: A002 (the word the user types)
    known: Iterable[str] = (),
) -> Listener:
    """A listener that routes `/cmd word …` to a handler by its first word(s).

    routes: words -> (handler, role needed, usage line); the key "" serves an empty command
    (with no trigger_id, which only Slack sends, an empty command gets the help instead).
    fallback: the route for text that starts with no known word (e.g. `/log 30m acme`);
    without one, such text is refused with `help_text` and the nearest subcommand.
    help: `/cmd help` and `/cmd <sub> help` answer with it (usage and two examples).
    known: more words a typo may be near, served elsewhere (`/hourglass lgo` -> `log`).
    """
    nearby = [*routes, *known]

    def listener(
        ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        text = (command.get("text") or "").strip()
        words = text.split()
        typed = command.get("command")
        route, rest = _match(routes, text)
        if help is not None and (
            (route is None and words and words[0].lower() == "help")
            or (route is not None and rest.lower() == "help")
            or (not words and ("" not in routes or not command.get("trigger_id")))
        ):
            extra = route[2] if route is not None and words else None
            route, rest = _help_route(help, typed, extra), ""
        if route is None and not words and "" in routes:
            route = routes[""]
        nearest = suggest(words, nearby) if route is None else None
        if route is None and fallback is not None:
            route = fallback if nearest is None else _suggesting(fallback, nearest, help, typed)
        if route is None:
            route = _unknown(words, help_text, nearest, help, typed)
        handler, role, usage = route
        run_command(
            ack=ack,
            command={**command, "text": rest},
            client=client,
            context=context,
            handler=handler,
            role=role,
            usage=usage,
        )

    return listener


def _match(routes: Mapping[str, Route], text: str) -> tuple[Route | None, str]:
    """The route the first two words or the first word name, and the rest as typed (so free
    text such as notes and subjects keeps its spacing)."""
    words = text.split()
    for size in (2, 1):
        key = " ".join(words[:size]).lower()
        if len(words) >= size and key in routes:
            parts = text.split(maxsplit=size)
            return routes[key], parts[size] if len(parts) > size else ""
    return None, text


def _help_route(help: Help, typed: str | None, usage: str | None) -> Route:  # noqa: A002
    @reads
    def show(call: CommandCall) -> Reply:
        text = help.text(typed)
        if usage and usage != help.usage:
            text = f"Usage: `{as_typed(usage, typed)}`\n{text.replace('Usage:', 'Also:', 1)}"
        return Reply(text, text_blocks(text))

    return (show, "agent", None)


def _did_you_mean(words: list[str], nearest: str, help: Help | None, typed: str | None) -> str:  # noqa: A002
    word = " ".join(words[: len(nearest.split())])  # `hours remove` for `hours void`
    base = help.usage.split()[0] if help is not None else (typed or "")
    return (
        f"`{word}` is not a `{as_typed(base, typed)}` command; did you mean "
        f"`{as_typed(f'{base} {nearest}', typed)}`?"
    )


def _suggesting(route: Route, nearest: str, help: Help | None, typed: str | None) -> Route:  # noqa: A002
    """The fallback, but a refusal of a first word close to a subcommand (`/log lst`)
    suggests that subcommand instead of the fallback's complaint."""
    handler, role, usage = route

    def suggesting(call: CommandCall) -> Reply:
        try:
            return handler(call)
        except InputError:
            raise InputError(_did_you_mean(list(call.tokens), nearest, help, typed)) from None

    if handler in READS:
        reads(suggesting)
    return (suggesting, role, usage)


def _unknown(
    words: list[str],
    help_text: str,
    nearest: str | None,
    help: Help | None,  # noqa: A002
    typed: str | None,
) -> Route:
    @reads
    def unknown(call: CommandCall) -> Reply:
        if nearest is not None:
            raise InputError(_did_you_mean(words, nearest, help, typed))
        said = " ".join(words[:2]) or "(nothing)"
        raise InputError(f"I don't know `{said}`. {help_text}")

    return (unknown, "agent", help.usage if help is not None else None)
