"""The one error contract: every refusal Hourglass makes is an `HourglassError`.

`str(error)` is the one line a person sees; the edges (the Slack wrapper in
`handlers/edge.py`, the CLI in `app.py`) decide how to show it, and only they catch it.
The kinds say what went wrong, so an edge can answer without reading the message:

- `InputError`: what was typed cannot be used (it may carry the usage line to show);
- `PermissionDenied`: the person lacks the role;
- `NotFound`: the thing named does not exist;
- `Conflict`: the request clashes with the current state (a timer already running, a
  change someone else made at the same moment);
- `ConfigError`: a setting or the policy file is missing or malformed (operator's side).

This module imports nothing, so every layer may raise these.
"""

from __future__ import annotations


class HourglassError(Exception):
    """A refusal; `str(error)` (also `.text`) is the one line shown to the person."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)

    @property
    def text(self) -> str:
        return str(self)


class InputError(HourglassError, ValueError):
    """Something a person typed that we cannot use; the message is shown to them as is.

    Also a ValueError, as the parsers' errors always were, so `except ValueError` around
    parsing keeps working.
    """

    def __init__(self, message: str = "", *, usage: str | None = None) -> None:
        super().__init__(message)
        self.usage = usage


class PermissionDenied(HourglassError):
    """The person lacks the role; the message says which one is needed."""


class NotFound(HourglassError):
    """The customer, ticket, booking or block named does not exist."""


class Conflict(HourglassError):
    """The request clashes with the current state; nothing was changed."""


class ConfigError(HourglassError):
    """A missing or malformed setting or policy; the message names it."""
