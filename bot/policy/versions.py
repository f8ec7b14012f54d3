"""Policy versions with effective dates (issue 16): the file's `[[versions]]` tables, and the
rule that a change may never reach back into days already past.

The top level of the policy file is the first version, in force from the beginning. Each
`[[versions]]` table holds `effective_from` (a provider-local date) and the keys that change
from that day, written as at the top level (`provider.hourly_rate = "120.00"`, or
`[versions.billing]` under it); everything else carries over from the version before. The
provider's timezone and currency, and the roles, are one for the whole file.

`past_change` compares the versions recorded at the last start with the file's now and names
the first key whose value changes on a day already begun; `app.open_database` refuses to
start on one (`bot.policy.record` keeps the record).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from bot.policy.model import Policy, PolicyHistory
from bot.policy.reader import KeyPath, Reader

Build = Callable[[Reader, dict[str, Any]], Policy]
Table = Mapping[str, Any]
Recorded = Sequence[tuple[date | None, Table]]

FIXED: tuple[KeyPath, ...] = (
    ("provider", "timezone"),
    ("provider", "currency"),
    ("provider", "locale"),
    ("provider", "date_order"),
    ("roles",),
)
# Keys that change no figure (who is alerted where, reminders), so editable at any time.
UNDATED: tuple[KeyPath, ...] = (
    ("roles",),
    ("provider", "name"),
    ("provider", "alert_channel"),
    ("timers",),
    ("bookings", "reminders"),
    ("insights",),  # issue 13: when forecasts alert, and where the digest goes
)

_VERSION_HEADER = re.compile(r"^\s*\[\[\s*versions\s*\]\]\s*(?:#.*)?$")
_VERSION_TABLE = re.compile(r"^(\s*\[\[?)\s*versions\s*\.\s*")
_ANY_HEADER = re.compile(r"^\s*\[")


def policy_history(text: str, origin: str, raw: dict[str, Any], build: Build) -> PolicyHistory:
    """The history of one policy file: its top level, then each `[[versions]]` table merged
    over the version before it."""
    raw = dict(raw)
    versions = raw.pop("versions", [])
    top = Reader(text, origin)
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise top.fail(("versions",), "must be [[versions]] tables, each with effective_from")
    entries: list[tuple[date | None, Policy]] = [(None, build(top, raw))]
    tables: list[Table] = [raw]
    for index, version in enumerate(versions):
        reader = Reader(_version_text(text, index), f"{origin} (version {index + 1})")
        effective, changes = _version(reader, version, entries[-1][0])
        merged = merge(tables[-1], changes)
        reader = Reader(reader.text, f"{origin} (version from {effective})")
        entries.append((effective, replace(build(reader, merged), source=origin)))
        tables.append(merged)
    return PolicyHistory(entries, tables)


def _version(
    reader: Reader, version: dict[str, Any], previous: date | None
) -> tuple[date, dict[str, Any]]:
    changes = dict(version)
    value = changes.pop("effective_from", None)
    if value is None:
        raise reader.fail(("effective_from",), 'missing: the date it applies from, "YYYY-MM-DD"')
    try:
        effective = date.fromisoformat(str(value))
    except ValueError:
        raise reader.fail(("effective_from",), f"{value!r} is not a date (YYYY-MM-DD)") from None
    if previous is not None and effective <= previous:
        raise reader.fail(("effective_from",), f"must come after the version before ({previous})")
    for path in FIXED:
        if _get(changes, path) is not None:
            raise reader.fail(path, "is one for the whole file: set it at the top level")
    if "versions" in changes:
        raise reader.fail(("versions",), "versions do not nest")
    return effective, changes


def _version_text(text: str, index: int) -> str:
    """The file with only the `index`-th `[[versions]]` table's lines left, its headers read
    as top-level ones, so a key's line is found where that version writes it."""
    lines = text.splitlines()
    kept = [""] * len(lines)
    count, inside = -1, False
    for number, line in enumerate(lines):
        if _VERSION_HEADER.match(line):
            count += 1
            inside = count == index
            continue
        if _ANY_HEADER.match(line) and not _VERSION_TABLE.match(line):
            inside = False
        if inside:
            kept[number] = _VERSION_TABLE.sub(r"\1", line)
    return "\n".join(kept)


def merge(base: Table, changes: Table) -> dict[str, Any]:
    """`changes` over `base`: tables merged key by key, any other value replaced whole."""
    merged = dict(base)
    for key, value in changes.items():
        before = merged.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            merged[key] = merge(before, value)
        else:
            merged[key] = value
    return merged


def _get(table: Table, path: KeyPath) -> Any:
    value: Any = table
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


# --- what was recorded, and what may change -------------------------------------------------


def recorded_form(table: Table) -> dict[str, Any]:
    """A version's table as stored and compared: plain JSON, undated keys left out."""
    plain: dict[str, Any] = json.loads(json.dumps(table, default=str, sort_keys=True))
    for path in UNDATED:
        parent = _get(plain, path[:-1]) if len(path) > 1 else plain
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    return plain


def recorded_history(history: PolicyHistory) -> list[tuple[date | None, dict[str, Any]]]:
    return [
        (version.effective_from, recorded_form(table))
        for version, table in zip(history.versions, history.tables, strict=True)
    ]


def _in_force(versions: Recorded, day: date | None) -> Table:
    current = versions[0][1]
    for effective, table in versions[1:]:
        if effective is not None and (day is None or effective > day):
            break
        current = table
    return current


def _flat(value: Any, path: KeyPath = ()) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flat(inner, (*path, key)))
        return flat
    return {".".join(path): value}


def first_difference(before: Table, after: Table) -> str | None:
    """The first dotted key whose value differs between two tables."""
    old, new = _flat(before), _flat(after)
    keys = sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))
    return keys[0] if keys else None


def past_change(
    recorded: Recorded, current: Recorded, today: date
) -> tuple[str, date | None] | None:
    """The first key, and the first day already begun (None: from the beginning), whose value
    would change between the recorded versions and the current ones; None if none would."""
    starts = {effective for effective, _ in (*recorded, *current) if effective is not None}
    for day in [None, *sorted(d for d in starts if d <= today)]:
        key = first_difference(_in_force(recorded, day), _in_force(current, day))
        if key is not None:
            return key, day
    return None


def describe_refusal(origin: str, key: str, day: date | None) -> str:
    since = f"from {day}" if day is not None else "from the beginning"
    rerate = day.isoformat() if day is not None else "DATE"
    return (
        f"{origin}: {key} changed {since}, a day already past; put the change in a "
        f"[[versions]] table effective from a day to come, or re-rate the past with "
        f"`hourglass policy rerate --from {rerate}`"
    )
