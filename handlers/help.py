"""Help for every command: `/cmd help` (and an empty `/cmd` where it opens no form) gives the
usage with two examples, and a word that is no subcommand suggests the nearest one (`lst` ->
`list`, `close` -> `resolve`), issue 19 item 5. Used by `handlers.common.subcommands`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

# Words people use for a subcommand under another name; the first target that exists is
# offered (`remove` is `/log undo`, `/hourglass hours void`, `/hourglass customer archive`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "close": ("resolve",),
    "closed": ("resolve",),
    "done": ("resolve",),
    "finish": ("resolve",),
    "delete": ("undo", "void", "archive", "remove"),
    "del": ("undo", "void", "archive", "remove"),
    "remove": ("undo", "void", "archive"),
    "rm": ("undo", "void", "archive", "remove"),
    "cancel": ("undo", "void"),
    "revert": ("undo",),
    "ls": ("list",),
    "show": ("list",),
    "all": ("list",),
    "new": ("open", "add"),
    "create": ("open", "add"),
    "add": ("open",),
    "change": ("edit", "adjust"),
    "fix": ("edit", "adjust"),
    "reply": ("respond",),
    "answer": ("respond",),
    "hold": ("pause",),
    "wait": ("pause",),
    "unpause": ("resume",),
    "continue": ("resume",),
    "begin": ("start",),
    "end": ("stop",),
    "reschedule": ("move",),
    "absent": ("noshow",),
}


@dataclass(frozen=True)
class Help:
    """What `/cmd help` says: the main usage, the other forms, two examples and a note."""

    usage: str
    examples: tuple[str, str]
    more: tuple[str, ...] = ()
    note: str = ""

    def text(self, command: str | None = None) -> str:
        """The help as the user typed the command (`/hourglass log …` when reached that way)."""
        lines = [f"Usage: `{as_typed(self.usage, command)}`"]
        if self.more:
            lines.append("Also: " + " · ".join(f"`{as_typed(m, command)}`" for m in self.more))
        base = self.usage.split()[0]
        examples = (as_typed(e, command) if e.split()[0] == base else e for e in self.examples)
        lines.append("Examples: " + ", ".join(f"`{e}`" for e in examples))
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def as_typed(usage: str | None, command: str | None) -> str:
    """The usage line under the command the user typed: `/log …` reached through `/hourglass
    log …` is shown as `/hourglass log …` (the workspace may not have `/log` at all)."""
    if not usage or not command or usage.split()[0] == command:
        return usage or ""
    return f"{command} {usage.removeprefix('/')}"


def suggest(words: list[str], keys: Iterable[str]) -> str | None:
    """The subcommand nearest to what was typed: a synonym (`close` -> `resolve`), then the
    closest two-word key (`custmer add` -> `customer add`), then, after a group's own word
    (`hours remove`), the nearest in that group (`hours void`), else the closest first word."""
    if not words or not words[0][:1].isalpha():
        return None
    keys = [key for key in keys if key and key != "help"]
    firsts = list(dict.fromkeys(key.split()[0] for key in keys))
    typed = words[0].lower()
    synonym = _synonym(typed, firsts)
    if synonym is not None:
        return synonym
    if len(words) >= 2:
        second = words[1].lower()
        group = [k.split()[1] for k in keys if " " in k and k.split()[0] == typed]
        if _synonym(second, group) is not None:
            return f"{typed} {_synonym(second, group)}"
        pair = f"{typed} {second}"
        near = difflib.get_close_matches(pair, [k for k in keys if " " in k], 1, 0.75)
        if near:
            return near[0]
        if group:
            within = difflib.get_close_matches(second, group, 1, 0.6)
            return f"{typed} {within[0]}" if within else None
    near = difflib.get_close_matches(typed, firsts, 1, 0.6)
    return near[0] if near and near[0] != typed else None  # `hours` alone names no command


def _synonym(word: str, subcommands: list[str]) -> str | None:
    return next((t for t in SYNONYMS.get(word, ()) if t in subcommands), None)
