"""bot/text.py: what `clean` removes and keeps, and the one way to read a number."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InputError
from bot.text import clean, is_digits, parse_decimal, parse_whole

BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
HOSTILE = st.sampled_from(
    ["\x00", "\x07", "\x1b", "\r", "\x7f", "\x85", "\ud800", "\udfff", *BIDI_CONTROLS]
)
# Every category, surrogates and controls included, with the hostile ones made common.
ANY_TEXT = st.lists(st.one_of(st.characters(exclude_categories=()), HOSTILE)).map("".join)


def forbidden(char: str) -> bool:
    category = unicodedata.category(char)
    return (category == "Cc" and char not in "\n\t") or category == "Cs" or char in BIDI_CONTROLS


@given(ANY_TEXT)
def test_clean_text_has_no_control_surrogate_or_bidi_override(text):
    result = clean(text)
    assert not any(forbidden(c) for c in result)
    assert unicodedata.is_normalized("NFC", result)
    result.encode("utf-8")  # what Postgres and a JSON reply need
    json.dumps(result, ensure_ascii=False).encode("utf-8")


@given(ANY_TEXT)
def test_clean_is_idempotent(text):
    assert clean(clean(text)) == clean(text)


@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"], exclude_characters="\r")))
def test_ordinary_text_in_nfc_is_unchanged(text):
    assert clean(text) == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x00b", "ab"),
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\u202eevil\u202c", "evil"),
        ("\u2067isolated\u2069", "isolated"),
        ("e\u0301", "é"),
        ("C\u0327a\x00", "Ça"),
        ("lone \ud83d surrogate", "lone  surrogate"),
        # The bidi marks have no scope and belong to right-to-left writing: kept.
        ("\u05e9\u05dc\u05d5\u05dd\u200f!", "\u05e9\u05dc\u05d5\u05dd\u200f!"),
        ("\u200e\u061c", "\u200e\u061c"),
        # Not digits we read, but still text: kept.
        ("² ５ ٥", "² ５ ٥"),
    ],
)
def test_clean_examples(raw, expected):
    assert clean(raw) == expected


def test_nul_between_a_letter_and_its_accent_still_composes():
    assert clean("e\x00\u0301") == "é"


@pytest.mark.parametrize("text", ["0", "7", " 12 ", "000123"])
def test_whole_numbers_in_ascii_digits(text):
    assert parse_whole(text, "seats") == int(text)


@pytest.mark.parametrize(
    "text", ["", " ", "²", "５", "٥", "1²", "-1", "+1", "1e3", "0x1", "1_0", "1.0", "1 2", "١٠"]
)
def test_anything_else_is_refused_with_one_line(text):
    with pytest.raises(InputError) as refused:
        parse_whole(text, "seats")
    assert str(refused.value).startswith("seats must be a whole number, not `")
    assert "\n" not in str(refused.value)


def test_a_whole_number_outside_its_range_says_the_range():
    with pytest.raises(InputError, match="from 1 to 5"):
        parse_whole("9", "quality", low=1, high=5)
    with pytest.raises(InputError, match="whole number, not"):
        parse_whole("9" * 40, "seats")


def test_a_long_refused_token_is_shortened_in_the_reply():
    with pytest.raises(InputError) as refused:
        parse_whole("x" * 500, "seats")
    assert len(str(refused.value)) < 80


@pytest.mark.parametrize(("text", "value"), [("10", "10"), ("2.5", "2.5"), (" 0.75 ", "0.75")])
def test_decimals_in_ascii_digits(text, value):
    assert parse_decimal(text, "hours") == Decimal(value)


@pytest.mark.parametrize(
    "text", ["", "²", "١٠", "1e3", "NaN", "Infinity", "-1", "1_000", ".5", "5.", "1.2.3", "0x10"]
)
def test_decimals_refuse_what_decimal_would_accept(text):
    with pytest.raises(InputError, match="hours must be a number like 10 or 2.5"):
        parse_decimal(text, "hours")


def test_a_sign_only_when_asked():
    assert parse_decimal("-1.5", "an adjustment", signed=True) == Decimal("-1.5")
    with pytest.raises(InputError):
        parse_decimal("--1", "an adjustment", signed=True)


def test_decimal_places_are_limited_when_asked():
    assert parse_decimal("1.25", "an amount", places=2) == Decimal("1.25")
    with pytest.raises(InputError, match="at most 2 digits after the point"):
        parse_decimal("1.255", "an amount", places=2)


@given(ANY_TEXT)
def test_number_helpers_answer_a_number_or_one_line_never_anything_else(text):
    for parse in (lambda t: parse_whole(t, "n"), lambda t: parse_decimal(t, "n")):
        try:
            parse(text)
        except InputError as refused:
            assert "\n" not in str(refused)


def test_is_digits_means_ascii_digits():
    assert is_digits("0123456789")
    assert not any(is_digits(t) for t in ["", "²", "５", "٥", "1 ", "a"])
