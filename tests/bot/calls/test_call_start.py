"""Where a call recorded after the fact with /call is placed: on a provider day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.calls.calls import call_start
from bot.calls.fair_use import month_of

LONDON = ZoneInfo("Europe/London")
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
seconds = st.integers(min_value=1, max_value=8 * 3600)


@given(now=instants, length=seconds)
def test_no_date_is_the_providers_today(now, length):
    """No date and `on today` (the provider's today) are the same call in the same month."""
    today = now.astimezone(LONDON).date()
    undated = call_start(seconds=length, on=None, provider_tz=LONDON, now=now)
    typed = call_start(seconds=length, on=today, provider_tz=LONDON, now=now)
    assert undated == typed
    assert undated.astimezone(LONDON).date() == today
    assert month_of(undated, LONDON) == (today.year, today.month)
    assert undated >= now - timedelta(seconds=length)


def test_a_call_just_after_midnight_on_the_first_counts_in_the_new_month():
    now = datetime(2026, 11, 1, 0, 5, tzinfo=UTC)  # 00:05 GMT
    start = call_start(seconds=20 * 60, on=None, provider_tz=LONDON, now=now)
    assert start == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
