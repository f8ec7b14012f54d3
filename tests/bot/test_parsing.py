"""The one parser for durations, dates and Slack mentions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import (
    InputError,
    check_days_back,
    format_duration,
    parse_clock_time,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_mention,
    parse_month,
    take_date,
    take_duration,
)
from bot.units import format_minutes


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90m", 90),
        ("1h30m", 90),
        ("1.5h", 90),
        ("1:30", 90),
        ("2h", 120),
        ("45", None),
        ("0:05", 5),
        ("2d", 2880),
    ],
)
def test_durations(text, minutes):
    if minutes is None:
        with pytest.raises(InputError):
            parse_duration(text)
    else:
        assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-5m",
        "abc",
        "1h-30m",
        "5 parsecs",
        "1:75",
        "m",
        "h",
        "1.5.2h",
        "'; drop",
        "30m1h",
        "1h30.5",
    ],
)
def test_bad_durations(text):
    with pytest.raises(InputError):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=100 * 3600))
def test_formatted_durations_read_back(seconds):
    td = timedelta(seconds=seconds)
    assert parse_duration(format_duration(td, seconds=True).replace(" ", "")) == td


def test_dates_are_relative_to_the_users_today():
    today = date(2026, 11, 20)
    assert parse_date("today", today) == today
    assert parse_date("yesterday", today) == date(2026, 11, 19)
    assert parse_date("2026-02-28", today) == date(2026, 2, 28)
    for bad in ("2026-02-30", "31/02/2026", "tomorrowish", "2026-1-1"):
        with pytest.raises(InputError):
            parse_date(bad, today)


def test_datetimes_in_the_users_zone_and_the_dst_gap():
    ny = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    at, used = parse_datetime(["tomorrow", "15:00", "rest"], ny, now)
    assert (at, used) == (datetime(2026, 11, 21, 20, 0, tzinfo=UTC), 2)
    with pytest.raises(InputError, match="does not exist"):
        parse_datetime(["2026-03-29", "01:30"], ZoneInfo("Europe/London"), now)


def test_months_and_mentions():
    assert parse_month("2026-11") == (2026, 11)
    with pytest.raises(InputError):
        parse_month("2026-13")
    assert parse_mention("<#C123|acme>").id == "C123"
    assert parse_mention("<@U123|jane>").kind == "user"
    assert parse_mention("<!subteam^S1|@leads>").kind == "group"
    assert parse_mention("acme") is None


def test_implausible_years_are_refused_not_billed_in_year_1():
    today = date(2026, 11, 20)
    for typo in ("0001-01-01", "0202-11-20", "9999-12-31"):
        with pytest.raises(InputError, match="not a plausible date"):
            parse_date(typo, today)
    for typo in ("9999-12", "0001-01"):
        with pytest.raises(InputError, match="not a plausible month"):
            parse_month(typo)


def test_record_ids_past_what_the_database_holds_are_simply_unknown():
    from bot.parsing import parse_record_id

    assert parse_record_id("#12", "booking") == 12
    with pytest.raises(InputError, match="there is no booking #2147483648"):
        parse_record_id("2147483648", "booking")
    with pytest.raises(InputError, match="is not a ticket id"):
        parse_record_id("١٢", "ticket")  # Arabic-Indic digits are not an id


# --- Input as people type it (issue 19 item 4) ---------------------------------------------


@pytest.mark.parametrize(
    ("typed", "minutes", "used"),
    [
        ("1h30", 90, 1),
        ("1h 30m", 90, 2),
        ("90m", 90, 1),
        ("90min", 90, 1),
        ("90 min", 90, 2),
        ("1.5h", 90, 1),
        ("1,5h", 90, 1),
        ("2 hours", 120, 2),
        ("30 mins", 30, 2),
        ("30min", 30, 1),
        ("45 minutes", 45, 2),
        ("1hr 15mins", 75, 2),
        ("1 hour 30 minutes", 90, 4),
        ("1h 1m 30s", 61.5, 3),
        ("1h 30 acme", 60, 1),  # a bare number after the duration is not minutes
        ("30m acme", 30, 1),
        ("1h 3com", 60, 1),
    ],
)
def test_durations_as_people_type_them(typed, minutes, used):
    tokens = typed.split() + ["acme"]
    assert take_duration(tokens) == (timedelta(minutes=minutes), used)
    assert take_duration(typed.split()) == (timedelta(minutes=minutes), used)


@pytest.mark.parametrize("typed", ["90", "90 acme", "1,5", "2.5"])
def test_a_bare_number_is_refused_with_a_hint(typed):
    number = typed.split()[0]
    with pytest.raises(InputError, match=rf"^{re.escape(number)} what\? Try {re.escape(number)}m$"):
        take_duration(typed.split())


TODAY = date(2026, 12, 1)  # a Tuesday


@pytest.mark.parametrize(
    ("typed", "order", "day", "used"),
    [
        ("yesterday", "DMY", date(2026, 11, 30), 1),
        ("today", "DMY", TODAY, 1),
        ("monday", "DMY", date(2026, 11, 30), 1),
        ("tuesday", "DMY", TODAY, 1),  # today is a Tuesday
        ("fri", "DMY", date(2026, 11, 27), 1),
        ("27 Nov", "DMY", date(2026, 11, 27), 2),
        ("Nov 27", "MDY", date(2026, 11, 27), 2),
        ("27th November 2025", "DMY", date(2025, 11, 27), 3),
        ("27/11/2026", "DMY", date(2026, 11, 27), 1),
        ("11/27/2026", "MDY", date(2026, 11, 27), 1),
        ("2026/11/27", "YMD", date(2026, 11, 27), 1),
        ("2026/11/27", "DMY", date(2026, 11, 27), 1),  # a four-digit year first is never a day
        ("27/11/26", "DMY", date(2026, 11, 27), 1),
        ("27/11", "DMY", date(2026, 11, 27), 1),
        ("2016-12-01", "DMY", date(2016, 12, 1), 1),
    ],
)
def test_dates_as_people_type_them(typed, order, day, used):
    assert take_date(typed.split() + ["note"], TODAY, order=order) == (day, used)


def test_a_date_without_its_year_is_the_nearest_one():
    assert take_date(["27", "Dec"], date(2027, 1, 2)) == (date(2026, 12, 27), 2)
    assert take_date(["2", "Jan"], date(2026, 12, 30)) == (date(2027, 1, 2), 2)


def test_a_weekday_ahead_is_the_next_one():
    assert parse_date("monday", TODAY, ahead=True) == date(2026, 12, 7)
    assert parse_date("tue", TODAY, ahead=True) == TODAY


def test_a_word_that_is_no_date_is_left_for_the_note():
    for words in (["answered", "a", "question"], ["sunny"], ["1.5", "hours"], ["note"], []):
        assert take_date(words, TODAY) is None


def test_the_date_order_decides_which_number_is_the_day():
    assert parse_date("11/27/2026", TODAY, order="MDY") == date(2026, 11, 27)
    with pytest.raises(InputError, match="is not a date"):
        parse_date("11/27/2026", TODAY, order="DMY")
    assert parse_date("01/02/2026", TODAY, order="DMY") == date(2026, 2, 1)
    assert parse_date("01/02/2026", TODAY, order="MDY") == date(2026, 1, 2)


@pytest.mark.parametrize(
    ("typed", "hour", "minute"),
    [
        ("3pm", 15, 0),
        ("15:00", 15, 0),
        ("3:30pm", 15, 30),
        ("12am", 0, 0),
        ("12pm", 12, 0),
        ("9am", 9, 0),
        ("11 a.m.", 11, 0),
        ("09:05", 9, 5),
    ],
)
def test_times_as_people_type_them(typed, hour, minute):
    assert parse_clock_time(typed) == time(hour, minute)


@pytest.mark.parametrize("typed", ["13pm", "25:00", "3", "noonish", "3:75pm"])
def test_bad_times(typed):
    with pytest.raises(InputError, match="not a time of day"):
        parse_clock_time(typed)


def test_datetimes_take_a_two_word_date_and_a_12_hour_time():
    london = ZoneInfo("Europe/London")
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert parse_datetime(["27", "Nov", "3pm", "1h"], london, now) == (
        datetime(2026, 11, 27, 15, 0, tzinfo=UTC),
        3,
    )


def test_more_than_366_days_back_is_refused_with_the_reason():
    check_days_back(TODAY - timedelta(days=366), TODAY)
    with pytest.raises(InputError, match="more than 366 days ago; work can be recorded back to"):
        check_days_back(date(2016, 12, 1), TODAY)


@given(st.integers(min_value=0, max_value=10_000 * 60))
def test_every_duration_we_print_reads_back_to_the_same_minutes(minutes):
    """format_minutes (`1h 30m`, receipts) and format_duration (`1h 30m`, SLA and bookings)
    both read back, as typed with the space, through the commands' own reader."""
    for printed in (format_minutes(minutes), format_duration(minutes)):
        assert take_duration(printed.split() + ["acme"]) == (
            timedelta(minutes=minutes),
            len(printed.split()),
        )
        assert parse_duration(printed) == timedelta(minutes=minutes)


@given(st.integers(min_value=0, max_value=100 * 3600))
def test_every_duration_with_seconds_we_print_reads_back(seconds):
    """A running timer's `14m 05s` and a policy limit read back as typed, to the second; a
    finished call's time reads back as the whole minutes it is shown in, a started minute
    counting (`16m 01s` reads `17m`, as training bills it)."""
    from bot.calls.fair_use import format_call_time, format_limit, format_running

    for printed in (
        format_duration(timedelta(seconds=seconds), seconds=True),
        format_running(seconds),
        format_limit(seconds),
    ):
        words = printed.split()
        assert take_duration([*words, "acme"]) == (timedelta(seconds=seconds), len(words))
    printed = format_call_time(seconds)
    words = printed.split()
    assert "s" not in printed
    assert take_duration([*words, "acme"]) == (timedelta(minutes=-(-seconds // 60)), len(words))
