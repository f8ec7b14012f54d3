"""How counts and durations are written: `plural` for every count a person reads, and the
one duration format (`3h`, `2h 30m`, `45m`) that calls share with everything else."""

from __future__ import annotations

import pytest

from bot.calls.fair_use import format_call_time, format_limit, format_running
from bot.units import plural


@pytest.mark.parametrize(
    ("count", "noun", "written"),
    [
        (1, "ticket", "1 ticket"),
        (2, "ticket", "2 tickets"),
        (0, "ticket", "0 tickets"),
        (1, "call", "1 call"),
        (3, "seat", "3 seats"),
        (1, "entry", "1 entry"),
        (4, "entry", "4 entries"),
        (1, "breach", "1 breach"),
        (0, "more breach", "0 more breaches"),
        (2, "business day", "2 business days"),
        (1, "business day", "1 business day"),
        (2, "day", "2 days"),  # a vowel before the y: just an s
        (2, "alert problem", "2 alert problems"),
        (2, "person", "2 people"),
    ],
)
def test_plural_agrees_with_its_count(count, noun, written):
    assert plural(count, noun) == written


@pytest.mark.parametrize(
    ("seconds", "written"),
    [
        (0, "0m"),
        (1, "1m"),  # a started minute counts
        (16 * 60, "16m"),
        (16 * 60 + 1, "17m"),
        (16 * 60 + 30, "17m"),
        (45 * 60, "45m"),  # exactly the allowance: within it, and reads as it
        (45 * 60 + 1, "46m"),  # over it to the second: never reads 45m
        (61 * 60, "1h 1m"),
        (180 * 60, "3h"),
        (150 * 60, "2h 30m"),
    ],
)
def test_a_call_reads_in_whole_minutes_rounded_up(seconds, written):
    assert format_call_time(seconds) == written


def test_only_a_running_timer_shows_seconds():
    assert format_running(16 * 60 + 30) == "16m 30s"
    assert format_running(61 * 60 + 5) == "1h 1m 05s"
    assert format_running(3 * 60) == "3m"


def test_limits_read_like_every_other_duration():
    assert [format_limit(m * 60) for m in (15, 45, 60, 90)] == ["15m", "45m", "1h", "1h 30m"]
