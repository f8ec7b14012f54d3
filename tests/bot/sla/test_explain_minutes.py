"""SLA durations in whole minutes (issue 19 item 9): the parts `/ticket why` shows add up to
the total it shows, counted + left is the target, and target + over is the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.sla.explain import counted_minutes, counted_parts, format_duration, minutes_of
from bot.sla.timeline import Segment, SegmentKind
from bot.units import format_minutes

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
SECONDS = st.integers(min_value=0, max_value=10 * 3600)


def running(seconds: list[int]) -> list[Segment]:
    segments, start = [], T0
    for amount in seconds:
        end = start + timedelta(seconds=amount)
        segments.append(Segment(start, end, SegmentKind.RUNNING, end - start))
        start = end
    return segments


@given(st.lists(SECONDS, min_size=1, max_size=8), st.none() | st.integers(0, 600))
def test_the_parts_add_up_to_the_total_shown(seconds, target_minutes):
    target = None if target_minutes is None else timedelta(minutes=target_minutes)
    parts = counted_parts(running(seconds), target)
    total = timedelta(seconds=sum(seconds))
    assert sum(parts) == counted_minutes(total, target)
    for part, amount in zip(parts, seconds, strict=True):
        assert part >= 0 and abs(part * 60 - amount) < 120  # each within its started minute


@given(SECONDS, st.integers(0, 600))
def test_counted_and_left_add_up_to_the_target_and_never_read_at_it_unless_there(
    elapsed_seconds, target_minutes
):
    elapsed, target = timedelta(seconds=elapsed_seconds), timedelta(minutes=target_minutes)
    counted = counted_minutes(elapsed, target)
    if elapsed <= target:
        left = minutes_of(target - elapsed, up=True)
        assert counted + left == target_minutes
        assert (left == 0) == (elapsed == target)  # 0m left only once the target is used up
    else:
        over = minutes_of(elapsed - target, up=True)
        assert counted == target_minutes + over and over >= 1
    assert format_duration(elapsed) == format_minutes(minutes_of(elapsed))


def test_counted_rounds_away_from_the_target():
    hour = timedelta(hours=1)
    assert counted_minutes(hour - timedelta(seconds=30), hour) == 59
    assert counted_minutes(hour, hour) == 60
    assert counted_minutes(hour + timedelta(microseconds=1), hour) == 61
    assert counted_minutes(hour + timedelta(seconds=30), None) == 60  # no target: down
