"""The one parser for durations, dates and Slack mentions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import (
    InputError,
    format_duration,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_mention,
    parse_month,
)


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
    "text", ["", "-5m", "abc", "1h-30m", "5 minutes", "1:75", "m", "h", "1.5.2h", "'; drop"]
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
    for bad in ("2026-02-30", "20/11/2026", "tomorrowish", "2026-1-1"):
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
