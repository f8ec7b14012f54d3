"""Part-day closures, special hours and business days (issue 16, items 3 and 4), checked
against a minute-by-minute reference written from the rules in `bot.calendar.days`, and the
`/ticket why` timeline's open stretches against the arithmetic."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.calendar.business import BusinessCalendar, Closure, SpecialHours
from bot.calendar.business_days import (
    BusinessDays,
    add_business_days,
    business_amount,
    parse_business_days,
)
from bot.sla.timeline import OUTSIDE_HOURS, SegmentKind, build_timeline
from tests.bot.calendar.test_business import (
    FAST,
    ZERO,
    calendars,
    floor_minute,
    instants,
    minute_is_open,
    reference_add,
    reference_between,
    spans,
)

LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)
NINE_TO_FIVE = dict.fromkeys(range(5), ((9 * 60, 17 * 60),))
CHRISTMAS_EVE = SpecialHours(date(2026, 12, 24), ((8 * 60, 12 * 60),), "Christmas Eve")
LAUNCH_SATURDAY = SpecialHours(date(2027, 1, 9), ((10 * 60, 14 * 60),), "launch")


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def desk(*specials: SpecialHours, closed: tuple[Closure, ...] = ()) -> BusinessCalendar:
    return BusinessCalendar(
        "desk", "Europe/London", NINE_TO_FIVE, "GB", "ENG", closed_hours=closed,
        special_hours=specials,
    )  # fmt: skip


# --- properties ---------------------------------------------------------------------------


@FAST
@given(calendars(), instants())
def test_is_open_and_next_open_follow_closures_and_special_hours(calendar, at):
    assert calendar.is_open(at) == minute_is_open(calendar, floor_minute(at))
    opens = calendar.next_open(at)
    assert calendar.is_open(opens) and calendar.business_time_between(at, opens) == ZERO


@FAST
@given(calendars(), instants(), spans)
def test_business_time_is_the_sum_of_the_timelines_open_stretches(calendar, start, span):
    end = start + span
    segments = build_timeline([(start, end, SegmentKind.RUNNING)], calendar)
    assert [s.start for s in segments[:1]] == ([start] if span else [])
    for previous, following in itertools.pairwise(segments):
        assert previous.end == following.start  # the timeline tiles the phase
    assert all(s.end == end for s in segments[-1:])
    running = [s for s in segments if s.kind == SegmentKind.RUNNING]
    assert sum((s.business for s in running), ZERO) == calendar.business_time_between(start, end)
    assert sum((s.business for s in running), ZERO) == reference_between(calendar, start, end)
    for segment in segments:
        if segment.kind == SegmentKind.CLOSED:
            assert segment.reason and segment.business == ZERO
            assert calendar.business_time_between(segment.start, segment.end) == ZERO
        else:
            assert segment.business == segment.end - segment.start > ZERO


@FAST
@given(calendars(), instants(), st.integers(1, 4))
def test_business_days_land_on_the_nth_open_day_at_the_same_time(calendar, start, days):
    due = add_business_days(calendar, start, days)
    first = calendar.next_open(start).astimezone(calendar.zone)
    local = due.astimezone(calendar.zone)
    open_days = [
        day
        for day in (first.date() + timedelta(n) for n in range(1, (local.date() - first.date()).days + 1))
        if calendar.open_hours_on(day)
    ]  # fmt: skip
    assert len(open_days) == days and open_days[-1] == local.date()
    hours = calendar.open_hours_on(local.date())
    wanted = datetime.combine(local.date(), first.time(), tzinfo=calendar.zone)
    opens = datetime.combine(local.date(), time(), tzinfo=calendar.zone) + timedelta(
        minutes=hours[0][0]
    )
    if abs(wanted.utcoffset() - first.utcoffset()) == ZERO and opens <= wanted:
        assert local <= wanted  # the same time, or the day's close if that comes first
    amount = business_amount(calendar, start, BusinessDays(days))
    assert calendar.business_time_between(start, due) == amount


christmas_eve_starts = st.integers(0, 3 * 24 * 60).map(
    lambda minutes: london(2026, 12, 23) + timedelta(minutes=minutes)
)
january_starts = st.integers(0, 6 * 24 * 60).map(
    lambda minutes: london(2027, 1, 5) + timedelta(minutes=minutes)
)
targets = st.integers(0, 24 * 60).map(lambda minutes: timedelta(minutes=minutes))


def due_with_and_without(
    special: SpecialHours, start: datetime, target: timedelta
) -> tuple[datetime, datetime]:
    """The due instant of `target` from `start` with `special`, checked against the
    reference, and without it."""
    calendar = desk(special)
    due = calendar.add_business_time(start, target)
    assert due == reference_add(calendar, start, target)
    assert calendar.business_time_between(start, due) == target
    return due, desk().add_business_time(start, target)


@FAST
@given(christmas_eve_starts, targets)
def test_the_christmas_eve_half_day_moves_due_times_as_expected(start, target):
    due, usual = due_with_and_without(CHRISTMAS_EVE, start, target)
    if usual <= london(2026, 12, 24, 8):
        assert due == usual  # due before the half-day opens: nothing changes
    if due > london(2026, 12, 24, 12) and due > start:
        # Past noon on the Eve the next open time is Tue 29th (25th, Boxing Day on Mon 28th).
        assert due >= london(2026, 12, 29, 9)
    if start >= london(2026, 12, 24, 12):
        assert due >= usual  # the afternoon the week would have counted is closed


@FAST
@given(january_starts, targets)
def test_the_saturday_special_shift_moves_due_times_earlier(start, target):
    due, usual = due_with_and_without(LAUNCH_SATURDAY, start, target)
    assert due <= usual  # opening on a Saturday can only bring a due time forward...
    if usual <= london(2027, 1, 9, 10) or start >= london(2027, 1, 9, 14):
        assert due == usual  # ...and only for tickets that count through the shift,
    if start <= london(2027, 1, 9, 10) and due >= london(2027, 1, 9, 14):
        assert desk().business_time_between(due, usual) == 4 * HOUR  # by its four hours


# --- examples ------------------------------------------------------------------------------


def test_christmas_eve_half_day_and_saturday_shift_examples():
    calendar = desk(CHRISTMAS_EVE, LAUNCH_SATURDAY)
    # 2h from Christmas Eve 11:00: 1h before noon, 1h on Tue 29th (25th, 28th holidays).
    assert calendar.add_business_time(london(2026, 12, 24, 11), 2 * HOUR) == london(
        2026, 12, 29, 10
    )
    # Without the half-day it would have been 13:00 the same day.
    assert desk().add_business_time(london(2026, 12, 24, 11), 2 * HOUR) == london(2026, 12, 24, 13)
    # 2h from Friday 16:00: 1h on Friday, 1h in Saturday's launch shift.
    assert calendar.add_business_time(london(2027, 1, 8, 16), 2 * HOUR) == london(2027, 1, 9, 11)
    assert calendar.closure_reason(date(2026, 12, 24)) is None
    assert calendar.open_hours_on(date(2027, 1, 9)) == ((600, 840),)


def test_part_day_closure_and_its_reason_in_the_timeline():
    all_hands = Closure(date(2026, 11, 24), 12 * 60, 14 * 60, "all-hands")
    calendar = desk(closed=(all_hands,))
    start = london(2026, 11, 24, 11)
    assert calendar.add_business_time(start, 2 * HOUR) == london(2026, 11, 24, 15)
    segments = build_timeline([(start, london(2026, 11, 24, 16), SegmentKind.RUNNING)], calendar)
    assert [(s.kind, s.reason, s.part_day) for s in segments] == [
        (SegmentKind.RUNNING, None, False),
        (SegmentKind.CLOSED, "all-hands", True),
        (SegmentKind.RUNNING, None, False),
    ]


def test_special_hours_win_over_a_holiday_and_closures_win_over_special_hours():
    boxing_day_shift = SpecialHours(date(2026, 12, 28), ((10 * 60, 12 * 60),), "cover")
    calendar = desk(boxing_day_shift)
    assert calendar.open_hours_on(date(2026, 12, 28)) == ((600, 720),)
    closed = desk(boxing_day_shift, closed=(Closure(date(2026, 12, 28), reason="flood"),))
    assert closed.open_hours_on(date(2026, 12, 28)) == ()
    assert closed.closure_reason(date(2026, 12, 28)) == "flood"
    assert closed.day_pieces(date(2026, 12, 28)) == ((0, 1440, "flood"),)


def test_a_calendar_closed_by_special_hours_forever_fails_instead_of_looping():
    calendar = BusinessCalendar(
        "closing down", "UTC", {0: ((540, 1020),)},
        special_hours=tuple(
            SpecialHours(date(2026, 11, 23) + timedelta(weeks=n), ()) for n in range(300)
        ),
    )  # fmt: skip
    with pytest.raises(ValueError, match="five years"):
        add_business_days(calendar, datetime(2026, 11, 23, tzinfo=UTC), 1)


@pytest.mark.parametrize(
    ("opened", "days", "due"),
    [
        (london(2026, 11, 23, 10), 2, london(2026, 11, 25, 10)),  # Mon 10:00 -> Wed 10:00
        (london(2026, 11, 21, 11), 1, london(2026, 11, 24, 9)),  # Sat -> Mon 09:00 -> Tue
        (london(2026, 12, 23, 16, 30), 1, london(2026, 12, 24, 12)),  # Eve closes at noon
        (london(2026, 12, 23, 10), 2, london(2026, 12, 29, 10)),  # 24th, then Tue 29th
    ],
)
def test_business_day_examples(opened, days, due):
    assert add_business_days(desk(CHRISTMAS_EVE), opened, days) == due


def test_business_days_are_written_bd_and_differ_from_days_of_business_hours():
    assert parse_business_days("2bd") == BusinessDays(2)
    assert parse_business_days(" 3 BD ") == BusinessDays(3)
    assert parse_business_days("2d") is None
    with pytest.raises(ValueError):
        parse_business_days("0bd")
    assert str(BusinessDays(2)) == "2bd" and BusinessDays(1).text == "1 business day"
    monday = london(2026, 11, 23, 10)
    assert business_amount(desk(), monday, BusinessDays(2)) == 16 * HOUR
    assert business_amount(desk(), monday, timedelta(days=2)) == timedelta(days=2)


def test_overnight_gaps_stay_unnamed_in_the_timeline():
    calendar = desk()
    phase = (london(2026, 11, 23, 16), london(2026, 11, 24, 10), SegmentKind.RUNNING)
    reasons = [s.reason for s in build_timeline([phase], calendar)]
    assert reasons == [None, OUTSIDE_HOURS, None]
