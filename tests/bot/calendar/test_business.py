"""Business calendar arithmetic, checked against a brute-force minute-by-minute reference."""

import functools
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.calendar.business import BusinessCalendar, Closure, SpecialHours

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
ZERO = timedelta(0)

OFFICE_HOURS = ((8 * 60, 18 * 60),)
EVERY_DAY = dict.fromkeys(range(7), OFFICE_HOURS)
WEEKDAYS = dict.fromkeys(range(5), OFFICE_HOURS)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def uk_support(hours=WEEKDAYS, **kwargs) -> BusinessCalendar:
    return BusinessCalendar("UK support", "Europe/London", hours, "GB", "ENG", **kwargs)


# --- reference implementation: the definition, one UTC minute at a time ---------------------


@functools.cache
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def minute_is_open(calendar: BusinessCalendar, minute_start: datetime) -> bool:
    """The rules (`bot.calendar.days`): closures close; special hours replace the week's
    hours and win over a holiday; a holiday closes the day."""
    local = minute_start.astimezone(ZoneInfo(calendar.timezone))
    day, minute = local.date(), local.hour * 60 + local.minute
    if day in calendar.closures:
        return False
    if any(c.day == day and c.start <= minute < c.end for c in calendar.closed_hours):
        return False
    specials = {special.day: special.hours for special in calendar.special_hours}
    if day in specials:
        hours = specials[day]
    elif calendar.holiday_country and day in _holiday_dates(
        calendar.holiday_country, calendar.holiday_subdivision, day.year
    ):
        return False
    else:
        hours = calendar.weekly_hours.get(local.weekday(), ())
    return any(start <= minute < end for start, end in hours)


def floor_minute(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def reference_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    total = ZERO
    minute = floor_minute(start)
    while minute < end:
        if minute_is_open(calendar, minute):
            total += min(minute + MINUTE, end) - max(minute, start)
        minute += MINUTE
    return total


def reference_add(calendar: BusinessCalendar, start: datetime, delta: timedelta) -> datetime:
    if not delta:
        return start
    remaining = delta
    minute = floor_minute(start)
    while True:
        if minute_is_open(calendar, minute):
            counted_from = max(minute, start)
            available = minute + MINUTE - counted_from
            if remaining <= available:
                return counted_from + remaining
            remaining -= available
        minute += MINUTE


# --- strategies ---------------------------------------------------------------------------

TIMEZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
# DST changes of 2026 (London, New York, Sydney), bank holidays and Christmas, plus the new year.
ANCHORS = [
    datetime(2026, 3, 29, tzinfo=UTC),
    datetime(2026, 10, 25, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 4, 5, tzinfo=UTC),
    datetime(2026, 10, 4, tzinfo=UTC),
    datetime(2026, 8, 31, tzinfo=UTC),
    datetime(2026, 12, 25, tzinfo=UTC),
    datetime(2026, 12, 31, 12, tzinfo=UTC),
]
# Boundaries near DST changes (01:00-03:00) and midnight come up often on purpose.
interesting_minutes = st.sampled_from([0, 30, 60, 90, 120, 150, 180, 480, 1080, 1410, 1440])
boundary = st.one_of(interesting_minutes, st.integers(0, 1440))


@st.composite
def opening_hours(draw) -> tuple[tuple[int, int], ...]:
    bounds = sorted(draw(st.sets(boundary, max_size=6)))
    if len(bounds) % 2:
        bounds = bounds[:-1]
    return tuple(zip(bounds[::2], bounds[1::2], strict=True))


@st.composite
def calendars(draw) -> BusinessCalendar:
    hours = {day: draw(opening_hours()) for day in range(7)}
    if not any(hours.values()):
        hours[draw(st.integers(0, 6))] = OFFICE_HOURS
    holiday_country, subdivision = draw(
        st.sampled_from([(None, None), ("GB", None), ("GB", "ENG"), ("GB", "SCT")])
    )
    anchor = draw(st.sampled_from(ANCHORS)).date()
    near = st.integers(-4, 12).map(lambda days: anchor + timedelta(days))
    closures = draw(st.frozensets(near, max_size=4))
    # Issue 16: closures for part of a day, and special hours replacing the week's.
    closed = []
    for day in draw(st.lists(near, max_size=3)):
        start, end = sorted(draw(st.tuples(boundary, boundary)))
        if start < end:
            closed.append(Closure(day, start, end, draw(st.sampled_from(["all-hands", "move"]))))
    specials = [
        SpecialHours(day, draw(opening_hours()), draw(st.sampled_from([None, "launch"])))
        for day in draw(st.sets(near, max_size=3))
    ]
    return BusinessCalendar(
        "random", draw(st.sampled_from(TIMEZONES)), hours, holiday_country, subdivision, closures,
        tuple(closed), tuple(specials),
    )  # fmt: skip


@st.composite
def instants(draw) -> datetime:
    anchor = draw(st.sampled_from(ANCHORS))
    seconds = draw(st.integers(-3 * 86400, 3 * 86400))
    return anchor + timedelta(seconds=seconds, microseconds=draw(st.sampled_from([0, 0, 250_000])))


spans = st.integers(0, 10 * 86400).map(lambda seconds: timedelta(seconds=seconds))
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- properties ---------------------------------------------------------------------------


@FAST
@given(calendars(), instants(), spans)
def test_business_time_between_matches_reference(calendar, start, span):
    assert calendar.business_time_between(start, start + span) == reference_between(
        calendar, start, start + span
    )


@FAST
@given(calendars(), instants(), spans, st.floats(0, 1))
def test_add_business_time_matches_reference(calendar, start, span, share):
    # Ask for at most the business time available in the span, so the reference stays fast.
    available = reference_between(calendar, start, start + span)
    delta = timedelta(seconds=round(available.total_seconds() * share))
    result = calendar.add_business_time(start, delta)
    assert result == reference_add(calendar, start, delta)
    assert result.tzinfo == UTC
    assert calendar.business_time_between(start, result) == delta


@FAST
@given(calendars(), instants(), st.integers(0, 3 * 86400))
def test_open_intervals_are_the_maximal_open_stretches(calendar, start, span_seconds):
    end = start + timedelta(seconds=span_seconds)
    stretches = list(calendar.open_intervals(start, end))
    for (_, previous_end), (next_start, _) in itertools.pairwise(stretches):
        assert previous_end < next_start  # maximal: stretches never touch
    for stretch_start, stretch_end in stretches:
        assert start <= stretch_start < stretch_end <= end
        assert calendar.is_open(stretch_start)
        assert stretch_end == end or not calendar.is_open(stretch_end)
    assert sum((b - a for a, b in stretches), ZERO) == reference_between(calendar, start, end)


@FAST
@given(calendars(), instants())
def test_is_open_and_next_open_match_reference(calendar, at):
    assert calendar.is_open(at) == minute_is_open(calendar, floor_minute(at))
    opens = calendar.next_open(at)
    assert opens >= at
    assert calendar.is_open(opens)
    assert calendar.business_time_between(at, opens) == ZERO


# --- explicit examples ----------------------------------------------------------------------


def test_friday_evening_ticket_on_seven_day_rota_is_due_saturday_morning():
    friday = london(2026, 11, 20, 17, 30)
    assert uk_support(EVERY_DAY).add_business_time(friday, HOUR) == london(2026, 11, 21, 8, 30)


def test_friday_evening_ticket_on_weekday_rota_is_due_monday_morning():
    friday = london(2026, 11, 20, 17, 30)
    assert uk_support().add_business_time(friday, HOUR) == london(2026, 11, 23, 8, 30)


def test_summer_bank_holiday_is_skipped():
    calendar = uk_support()
    friday = london(2026, 8, 28, 17, 30)
    due = calendar.add_business_time(friday, HOUR)
    assert due == london(2026, 9, 1, 8, 30)
    assert calendar.closed_days(friday, due) == [(date(2026, 8, 31), "Late Summer Bank Holiday")]
    # Scotland has no late-August bank holiday in England's sense: open on Monday.
    scotland = BusinessCalendar("Glasgow", "Europe/London", WEEKDAYS, "GB", "SCT")
    assert scotland.add_business_time(friday, HOUR) == london(2026, 8, 31, 8, 30)


def test_christmas_2026_skips_christmas_and_substitute_boxing_day():
    christmas_eve = london(2026, 12, 24, 17, 30)
    weekdays = uk_support()
    assert weekdays.add_business_time(christmas_eve, HOUR) == london(2026, 12, 29, 8, 30)
    assert weekdays.closed_days(christmas_eve, london(2026, 12, 29, 9)) == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day (observed)"),
    ]
    every_day = uk_support(EVERY_DAY)
    # Saturday 26th is Boxing Day itself; Sunday 27th is an ordinary open day.
    assert every_day.add_business_time(christmas_eve, HOUR) == london(2026, 12, 27, 8, 30)
    assert [day for day, _ in every_day.closed_days(christmas_eve, london(2026, 12, 29))] == [
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 12, 28),
    ]


def test_closures_are_skipped_and_explained():
    calendar = uk_support(closures=frozenset({date(2026, 11, 23)}))
    friday = london(2026, 11, 20, 17, 30)
    assert calendar.add_business_time(friday, HOUR) == london(2026, 11, 24, 8, 30)
    assert calendar.closed_days(friday, london(2026, 11, 25)) == [(date(2026, 11, 23), "closure")]


def test_dst_days_have_23_and_25_real_hours_on_a_round_the_clock_rota():
    calendar = BusinessCalendar(
        "Night desk", "Europe/London", dict.fromkeys(range(7), ((0, 1440),))
    )
    assert calendar.business_time_between(london(2026, 3, 29), london(2026, 3, 30)) == 23 * HOUR
    assert calendar.business_time_between(london(2026, 10, 25), london(2026, 10, 26)) == 25 * HOUR
    new_york = BusinessCalendar("NY", "America/New_York", dict.fromkeys(range(7), ((0, 1440),)))
    nov_1 = datetime(2026, 11, 1, tzinfo=NEW_YORK)
    assert (
        new_york.business_time_between(nov_1, datetime(2026, 11, 2, tzinfo=NEW_YORK)) == 25 * HOUR
    )


def test_repeated_wall_clock_hour_counts_twice_when_open():
    early = BusinessCalendar("Early", "Europe/London", {6: ((60, 120),)})  # Sun 01:00-02:00
    sunday = london(2026, 10, 25)
    assert early.business_time_between(sunday, sunday + timedelta(days=1)) == 2 * HOUR
    spring = london(2026, 3, 29)
    assert early.business_time_between(spring, spring + timedelta(days=1)) == ZERO


def test_weekday_hours_cross_the_autumn_change_correctly():
    friday = london(2026, 10, 23, 17)  # BST
    due = uk_support().add_business_time(friday, 2 * HOUR)
    assert due == london(2026, 10, 26, 9)  # GMT
    assert due == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_zero_business_time_is_the_start_itself_even_when_closed():
    saturday = london(2026, 11, 21, 3, 17, 5)
    assert uk_support().add_business_time(saturday, ZERO) == saturday


def test_round_trip_with_seconds():
    calendar = uk_support(dict.fromkeys(range(5), ((480, 720), (780, 1080))))
    start = london(2026, 11, 20, 11, 59, 30)
    for delta in (timedelta(seconds=1), 37 * MINUTE + timedelta(seconds=12), 500 * HOUR):
        assert calendar.business_time_between(start, calendar.add_business_time(start, delta)) == (
            delta
        )


def test_split_shift_lunch_break_does_not_count():
    calendar = uk_support({0: ((480, 720), (780, 1080))})
    monday = london(2026, 11, 23)
    assert calendar.business_time_between(monday, monday + timedelta(days=1)) == 9 * HOUR
    assert calendar.add_business_time(london(2026, 11, 23, 11, 30), HOUR) == london(
        2026, 11, 23, 13, 30
    )
    assert list(calendar.open_intervals(monday, monday + timedelta(days=1))) == [
        (london(2026, 11, 23, 8), london(2026, 11, 23, 12)),
        (london(2026, 11, 23, 13), london(2026, 11, 23, 18)),
    ]


def test_next_open_and_is_open():
    calendar = uk_support()
    assert calendar.is_open(london(2026, 11, 20, 17, 59))
    assert not calendar.is_open(london(2026, 11, 20, 18))
    assert calendar.next_open(london(2026, 11, 20, 18)) == london(2026, 11, 23, 8)
    assert calendar.next_open(london(2026, 11, 20, 9)) == london(2026, 11, 20, 9)


def test_five_hundred_business_hours_round_trip():
    # Speed is bench/'s business (a timed assertion here failed under a loaded machine);
    # the arithmetic over ~13 weeks of closures is the test's.
    calendar = uk_support()
    start = london(2026, 11, 20, 17, 30)
    due = calendar.add_business_time(start, 500 * HOUR)
    assert calendar.business_time_between(start, due) == 500 * HOUR


def test_always_open_calendar():
    calendar = BusinessCalendar.always_open("24/7", "Europe/London")
    assert calendar.is_24_7
    assert not uk_support().is_24_7
    start = london(2026, 3, 28, 12)
    # 24 real hours across the spring change: 12:00 GMT -> 13:00 BST (aware-datetime addition
    # in a ZoneInfo zone is wall-clock arithmetic, so compare in UTC).
    due = calendar.add_business_time(start, 24 * HOUR)
    assert due == start.astimezone(UTC) + 24 * HOUR == london(2026, 3, 29, 13)
    assert calendar.closed_days(start, start + 1000 * HOUR) == []


def test_no_open_time_for_five_years_raises_instead_of_looping():
    first_monday = date(2026, 1, 5)
    every_monday = frozenset(first_monday + timedelta(weeks=week) for week in range(6 * 53))
    calendar = BusinessCalendar(
        "Mondays only", "Europe/London", {0: OFFICE_HOURS}, closures=every_monday
    )
    start = london(2026, 1, 1)
    with pytest.raises(ValueError, match="Mondays only"):
        calendar.add_business_time(start, HOUR)
    with pytest.raises(ValueError, match="Mondays only"):
        calendar.next_open(start)
    assert calendar.business_time_between(start, london(2027, 1, 1)) == ZERO


def test_calendar_without_business_hours_is_rejected():
    with pytest.raises(ValueError, match="calendar 'Nobody' has no business hours"):
        BusinessCalendar("Nobody", "UTC", {0: (), 3: ()})


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({0: ((600, 480),)}, "0 <= start < end <= 1440"),
        ({0: ((-1, 480),)}, "0 <= start < end <= 1440"),
        ({0: ((480, 1441),)}, "0 <= start < end <= 1440"),
        ({0: ((480, 720), (700, 1080))}, "must not overlap"),
        ({0: ((780, 1080), (480, 720))}, "sorted"),
        ({7: OFFICE_HOURS}, "weekday"),
        ({0: ((480.5, 600),)}, "whole minutes"),
    ],
)
def test_bad_opening_hours_are_rejected(hours, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar("Bad", "UTC", hours)


def test_bad_time_zone_and_holiday_country_are_rejected():
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar("Bad", "Europe/Atlantis", WEEKDAYS)
    with pytest.raises(ValueError, match="no public holidays known"):
        BusinessCalendar("Bad", "UTC", WEEKDAYS, "XX")
    with pytest.raises(ValueError, match="no public holidays known"):
        BusinessCalendar("Bad", "UTC", WEEKDAYS, "GB", "XYZ")


def test_naive_datetimes_are_rejected():
    calendar = uk_support()
    naive = datetime(2026, 11, 20, 9)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add_business_time(naive, HOUR)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.business_time_between(london(2026, 11, 20), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.is_open(naive)


def test_results_are_utc():
    due = uk_support().add_business_time(london(2026, 7, 1, 9), HOUR)
    assert due.tzinfo == UTC
    assert due == datetime(2026, 7, 1, 9, tzinfo=UTC)  # 10:00 BST
