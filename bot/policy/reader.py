"""Reading one policy table: the `Reader` that checks each value and the `Key` rows a table
is made of, with a `PolicyError` that names the file, the key and the line.

`read_keys` is the one loop every table goes through; `bot.policy.loader` holds the tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.parsing import InputError, parse_duration, parse_money

KeyPath = tuple[str, ...]


class PolicyError(ConfigError, ValueError):
    """A policy file that cannot be used; the message names the file, key and line."""


# --- where a key is written -----------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\".]+)\s*=")


def _split_path(text: str) -> KeyPath:
    return tuple(part.strip().strip('"') for part in text.split("."))


def _line_of(source_text: str, path: KeyPath) -> int | None:
    """Best-effort line number of a key path in TOML text (tomllib keeps no positions)."""
    table: KeyPath = ()
    fallback = None
    for number, line in enumerate(source_text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _split_path(header.group(1))
            if table == path:
                return number
            continue
        key = _KEY.match(line)
        if not key:
            continue
        full = table + _split_path(key.group(1))
        if full == path or (len(path) > len(full) and path[: len(full)] == full):
            return number
        if fallback is None and path and full[-1:] == path[-1:]:
            fallback = number
    return fallback


class Reader:
    """Walks the parsed TOML, raising PolicyError with the key path and line."""

    def __init__(self, text: str, origin: str):
        self.text = text
        self.origin = origin

    def fail(self, path: KeyPath, message: str) -> PolicyError:
        line = _line_of(self.text, path)
        where = f"{self.origin}, line {line}" if line else self.origin
        dotted = ".".join(path) if path else "(top level)"
        return PolicyError(f"{where}: {dotted}: {message}")

    def table(self, value: Any, path: KeyPath, allowed: Collection[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, "must be a table")
        for key in value:
            if key not in allowed:
                raise self.fail((*path, key), "unknown key")
        return value

    def duration(self, value: Any, path: KeyPath, *, allow_zero: bool = False) -> timedelta:
        if not isinstance(value, str):
            raise self.fail(path, f'must be a duration string like "90m", not {value!r}')
        try:
            result = parse_duration(value)
        except InputError as exc:
            raise self.fail(path, str(exc)) from None
        if not allow_zero and result <= timedelta(0):
            raise self.fail(path, "must be longer than zero")
        return result

    def money(self, value: Any, path: KeyPath) -> Decimal:
        try:
            return parse_money(str(value))
        except InputError as exc:
            raise self.fail(path, str(exc)) from None

    def timezone(self, value: Any, path: KeyPath) -> ZoneInfo:
        if not isinstance(value, str):
            raise self.fail(path, 'must be an IANA timezone name such as "Europe/London"')
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(path, f"unknown timezone {value!r}") from None

    def integer(self, value: Any, path: KeyPath, low: int, high: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.fail(path, f"must be a whole number from {low} to {high}")
        return value

    def share(self, value: Any, path: KeyPath) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
            raise self.fail(path, "must be a fraction between 0 and 1, e.g. 0.75")
        return float(value)

    def boolean(self, value: Any, path: KeyPath) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, "must be true or false")
        return value

    def string(self, value: Any, path: KeyPath) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, "must be a non-empty string")
        return value.strip()

    def strings(self, value: Any, path: KeyPath) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(path, "must be a list of strings")
        return tuple(v.strip() for v in value)


Read = Callable[[Reader, Any, KeyPath], Any]


class _Required:
    """The default of a key that must be given (`read_keys` names what is missing)."""


REQUIRED = _Required()


@dataclass(frozen=True)
class Key:
    """One key of a policy table: its name, its default as written in TOML, how to read it."""

    name: str
    default: Any
    read: Read


def read_keys(
    reader: Reader, value: Any, path: KeyPath, keys: tuple[Key, ...], missing: str = ""
) -> dict[str, Any]:
    """Read a table by its rows: unknown keys refused, absent ones defaulted, each checked."""
    data = reader.table(value, path, {key.name for key in keys})
    if any(key.default is REQUIRED and key.name not in data for key in keys):
        raise reader.fail(path, missing)
    return {
        key.name: key.read(reader, data.get(key.name, key.default), (*path, key.name))
        for key in keys
    }


# --- readers for the rows -------------------------------------------------------------------


def read_duration(*, allow_zero: bool = False) -> Read:
    return lambda reader, value, path: reader.duration(value, path, allow_zero=allow_zero)


def read_whole(low: int, high: int) -> Read:
    return lambda reader, value, path: reader.integer(value, path, low, high)


def optional(read: Read) -> Read:
    return lambda reader, value, path: None if value is None else read(reader, value, path)


def as_given(reader: Reader, value: Any, path: KeyPath) -> Any:
    return value
