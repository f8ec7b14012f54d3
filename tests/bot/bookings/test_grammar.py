"""The `/book` text grammar (bot/bookings/grammar.py)."""

from __future__ import annotations

import pytest

from bot.bookings import grammar
from bot.parsing import InputError


def test_the_grammar_reads_mentions_and_flags():
    form = grammar.parse_book_text(
        [
            "acme",
            "tomorrow",
            "15:00",
            "1h",
            "<@U1|jo>",
            "<@U2|kim>",
            "EXTRA",
            "training",
            "<@U1|jo>",
        ]
    )
    assert (form.customer, form.day, form.clock, form.duration) == (
        "acme",
        "tomorrow",
        "15:00",
        "1h",
    )
    assert form.engineers == ("U1", "U2")
    assert (form.extra, form.training) == (True, True)
    assert form.labels == {"U1": "jo", "U2": "kim"}


@pytest.mark.parametrize(
    "text", ["acme tomorrow 15:00", "acme tomorrow 15:00 1h <#C1|x>", "acme a b c d"]
)
def test_the_grammar_refuses_what_it_cannot_read(text):
    with pytest.raises(InputError):
        grammar.parse_book_text(text.split())
