"""A support desk's real calendar (issue 16, items 3-5), over signed HTTP on both databases:
part-day closures and special hours move due times and are named in `/ticket why`; "2bd" is
two business days; a target used up at Friday's close is due, and breached, at Monday's
opening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.policy.loader import default_policy_text, parse_policy
from tests.handlers.commands.test_tickets import alerts
from tests.harness import MANAGER

DESK = "CDESK01"
CALENDAR = """[calendars.desk]
timezone = "Europe/London"
holidays = "GB"
subdivision = "ENG"
hours = { weekdays = "09:00-17:00" }
closures = [{ date = "2026-11-24", from = "12:00", to = "14:00", reason = "all-hands" }]

[calendars.desk.special]
"2026-11-28" = { hours = ["10:00-14:00"], reason = "launch" }
"2026-12-24" = { hours = ["08:00-12:00"], reason = "Christmas Eve" }

"""


@pytest.fixture
def policy():
    text = default_policy_text()
    text = text.replace("[calendars.uk_daytime]", CALENDAR + "[calendars.uk_daytime]")
    text = text.replace('[plans.lite]\ncalendar = "uk_daytime"', '[plans.lite]\ncalendar = "desk"')
    text = text.replace('first_response = "1h"', 'first_response = "2h"', 1)  # immediate
    text = text.replace('first_response = "48h"', 'first_response = "2bd"', 1)  # low
    return parse_policy(text, "calendar test policy")


@pytest.fixture
def desk(slack):
    slack.command(f"/hourglass customer add globex plan=lite channel=<#{DESK}|globex>", MANAGER)
    return slack


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # November and December: London is on GMT


def test_a_target_used_up_at_closing_is_due_and_breached_at_the_next_opening(desk, clock):
    clock.set(london(2026, 11, 20, 15))  # Friday 15:00; the desk closes at 17:00
    opened = desk.command("/ticket open globex immediate Answered after five").text
    desk.command("/ticket open globex immediate Never answered")
    assert "First response due Mon 23 Nov 09:00 GMT" in opened
    assert "Fri 20 Nov 17:00" not in opened

    clock.set(london(2026, 11, 20, 17, 5))
    why = desk.command("/ticket why 2").text
    assert (
        "First response due Mon 23 Nov 09:00 GMT \u2014 2h business time: "
        "Fri 20 Nov 15:00\u201317:00" in why
    )
    met = desk.command("/ticket respond 1").text
    assert "First response met at Fri 20 Nov 17:05 GMT" in met
    assert "breached" not in met

    desk.sweep(at=london(2026, 11, 23, 8, 59))
    assert not [a for a in alerts(desk.database) if a.kind == "sla_breach"]
    desk.sweep(at=london(2026, 11, 23, 9) + timedelta(seconds=1))
    [breach] = [a for a in alerts(desk.database) if a.kind == "sla_breach"]
    assert "ticket #2" in breach.text and "passed at Mon 23 Nov 09:00 GMT" in breach.text
    assert "met at Fri 20 Nov 17:05" in desk.command("/ticket why 1").text


def test_special_hours_and_part_day_closures_move_due_times_and_say_why(desk, clock):
    clock.set(london(2026, 11, 27, 16))  # Friday 16:00: 1h today, then Saturday's launch shift
    friday = desk.command("/ticket open globex immediate Launch question").text
    assert "First response due Sat 28 Nov 11:00 GMT" in friday
    clock.set(london(2026, 11, 28, 11))
    why = desk.command("/ticket why 1").text
    assert "Sat 28 Nov 10:00\u201311:00: 1h counted (launch: special hours 10:00\u201314:00)" in why

    clock.set(london(2026, 11, 24, 11))  # Tuesday 11:00: the all-hands closes 12:00-14:00
    tuesday = desk.command("/ticket open globex immediate During the all-hands").text
    assert "First response due Tue 24 Nov 15:00 GMT" in tuesday  # 11-12, then 14-15
    clock.set(london(2026, 11, 24, 14, 30))
    why = desk.command("/ticket why 2").text
    assert "Tue 24 Nov 12:00\u201314:00: closed (all-hands)" in why

    clock.set(london(2026, 12, 24, 11))  # Christmas Eve closes at noon
    eve = desk.command("/ticket open globex immediate Christmas Eve").text
    # 11:00-12:00 counts; Christmas, Boxing Day (observed Mon 28) and the weekend do not.
    assert "First response due Tue 29 Dec 10:00 GMT" in eve
    clock.set(london(2026, 12, 29, 9, 30))
    why = desk.command("/ticket why 3").text
    assert (
        "Thu 24 Dec 12:00\u201324:00: closed (Christmas Eve: special hours 08:00\u201312:00)" in why
    )
    assert "Fri 25 Dec: Christmas Day, skipped" in why


def test_a_target_in_business_days_is_the_same_time_two_open_days_later(desk, clock):
    clock.set(london(2026, 11, 26, 10, 30))  # Thursday 10:30
    morning = desk.command("/ticket open globex low Two business days").text
    # Friday is the 1st open day after Thursday, Saturday's launch shift the 2nd.
    assert "First response due Sat 28 Nov 10:30 GMT" in morning
    clock.set(london(2026, 11, 26, 15))  # Thursday 15:00: Saturday closes before 15:00...
    afternoon = desk.command("/ticket open globex low Two business days, later").text
    # ...so the target runs to its 14:00 close, and is met until Monday's opening.
    assert "First response due Mon 30 Nov 09:00 GMT" in afternoon
    why = desk.command("/ticket why 1").text
    # 6h 30m on Thursday, 8h on Friday, 30m on Saturday: not the 48h that "2d" would be.
    assert "first response target 2 business days (15h)" in why
    assert "First response due Sat 28 Nov 10:30 GMT = 10:30 + 2 business days (15h" in why
