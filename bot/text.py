"""Text as it arrives from people, made safe once, and the one way to read a number from it.

`clean` is applied once at the Slack edge to every string of every request (handlers/inbound.py)
and to the names Slack's profiles give us, so the rest of Hourglass only ever sees text that:

- has no NUL and no other C0 control except newline and tab (a carriage return becomes a
  newline), no DEL and no C1 control: Postgres refuses NUL in text and JSON, and a
  control character in a stored note or subject has no business in a reply;
- has no lone surrogate (U+D800–U+DFFF): a JSON body may carry `\\ud800`, which cannot be
  encoded to UTF-8, so it would fail on the way to the database or back out to Slack;
- has no bidi embedding, override or isolate (U+202A–U+202E, U+2066–U+2069): they change
  the direction of the text after them, so a customer's U+202E would reverse the rest of an
  alert that quotes the message. The bidi *marks* (U+200E LRM, U+200F RLM, U+061C ALM) are
  kept: they have no scope (they only settle the direction of the neutral characters next
  to them, like a strong letter would), they are part of how right-to-left languages are
  written correctly, and removing them would change what such a customer wrote;
- is in Unicode NFC, so the same word typed on two keyboards is the same string.

Digits: only ASCII `0-9` are read as numbers. `²`, `５` (fullwidth) and `٥` (Arabic-Indic)
are kept as text by `clean` but refused by `parse_whole` and `parse_decimal` with one line;
Hourglass never guesses what a superscript or another script's digit was meant to be.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from bot.errors import InputError

# What `clean` removes: C0 controls except tab (\x09) and newline (\x0a), DEL and C1 (\x7f-\x9f),
# the bidi embeddings/overrides (U+202A-U+202E) and isolates (U+2066-U+2069), and surrogates.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
MAX_DIGITS = 18  # a whole number we read fits a 64-bit integer with room to spare
SHOWN = 20  # how much of a refused token a reply quotes


def clean(text: str) -> str:
    """`text` without control, surrogate and bidi override/isolate characters, in NFC.

    Idempotent: clean(clean(t)) == clean(t)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNWANTED.sub("", text)
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def is_digits(text: str) -> bool:
    """True for one or more ASCII digits and nothing else (`²`, `５`, `٥` are not digits here)."""
    return _DIGITS.fullmatch(text) is not None


def _shown(text: str) -> str:
    """A refused token as a reply quotes it: on one line, and short."""
    text = " ".join(text.split())
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def parse_whole(text: str, what: str, *, low: int = 0, high: int = 10**MAX_DIGITS - 1) -> int:
    """A whole number typed with ASCII digits, from `low` to `high` inclusive.

    `what` names it in the one-line refusal: "seats must be a whole number, not `²`"."""
    typed = clean(text).strip()
    if not is_digits(typed) or len(typed) > MAX_DIGITS:
        raise InputError(f"{what} must be a whole number, not `{_shown(typed)}`")
    number = int(typed)
    if not low <= number <= high:
        raise InputError(f"{what} must be a whole number from {low} to {high}")
    return number


def parse_decimal(
    text: str, what: str, *, places: int | None = None, signed: bool = False
) -> Decimal:
    """A number typed with ASCII digits and at most one `.`: `10`, `2.5`, `0.75`; with
    `signed`, also a leading `-` (so the caller can say "must be more than 0").

    No `+`, exponent, `_`, `NaN` or `Infinity` (all of which `Decimal()` would accept), and
    at most `places` digits after the point when given."""
    typed = clean(text).strip()
    whole, _, fraction = typed.removeprefix("-").partition(".")
    if (
        _DECIMAL.fullmatch(typed) is None
        or (typed.startswith("-") and not signed)
        or len(whole) > MAX_DIGITS
    ):
        raise InputError(f"{what} must be a number like 10 or 2.5, not `{_shown(typed)}`")
    if places is not None and len(fraction) > places:
        raise InputError(
            f"{what} has at most {places} digits after the point, not `{_shown(typed)}`"
        )
    return Decimal(typed)
