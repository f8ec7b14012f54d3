"""A target used up exactly at a closing (issue 16, item 5): met until the next opening, due
and breached then, and warnings and escalations never fall on a closing."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.calendar.business import BusinessCalendar
from bot.calendar.business_days import BusinessDays
from bot.sla.clocks import TICK, compute_clocks
from bot.sla.eventlog import EventKind, TicketEvent
from bot.sla.explain import explain
from bot.sla.targets import Escalation, SlaTargets
from tests.bot.calendar.test_exceptions import london

NINE_TO_FIVE = BusinessCalendar(
    "desk", "Europe/London", dict.fromkeys(range(5), ((9 * 60, 17 * 60),))
)
HOUR = timedelta(hours=1)
FRIDAY_3PM = london(2026, 11, 20, 15)
MONDAY_9AM = london(2026, 11, 23, 9)


TWO_HOURS = SlaTargets(first_response=2 * HOUR)


def clocks(*events, now, targets=TWO_HOURS, escalations=()):
    log = [TicketEvent(EventKind.OPENED, FRIDAY_3PM), *(TicketEvent(k, at) for k, at in events)]
    return compute_clocks(log, NINE_TO_FIVE, targets, now, escalations=escalations)


def test_a_reply_after_closing_but_before_the_next_opening_meets_the_target():
    for reply in (london(2026, 11, 20, 17, 5), london(2026, 11, 21, 10), MONDAY_9AM):
        answered = clocks((EventKind.RESPONDED, reply), now=reply + HOUR)
        assert answered.first_response.state(reply + HOUR) == "met"
        assert answered.first_response.breached_at is None


def test_the_unanswered_one_is_due_and_breached_at_the_next_opening():
    friday = clocks(now=london(2026, 11, 20, 16))
    assert friday.first_response.due == MONDAY_9AM  # not Friday 17:00
    assert friday.first_response.spent_at == london(2026, 11, 20, 17)
    assert friday.next_change(friday.as_of) == MONDAY_9AM + TICK
    lines = explain(friday, ZoneInfo("Europe/London"))
    assert (
        "First response due Mon 23 Nov 09:00 GMT \u2014 2h business time: "
        "Fri 20 Nov 15:00\u201317:00, then closed until then" in lines
    )
    monday = clocks(now=MONDAY_9AM + timedelta(minutes=1))
    assert monday.first_response.breached_at == MONDAY_9AM + TICK
    assert monday.first_response.missed_due == MONDAY_9AM


def test_warnings_and_escalations_at_a_closing_wait_for_the_opening():
    targets = SlaTargets(first_response=3 * HOUR, first_response_internal=2 * HOUR)
    state = clocks(now=FRIDAY_3PM, targets=targets).first_response
    assert state.warning_at == london(2026, 11, 20, 16, 30)  # 75% of 2h, while open
    warned = clocks(now=FRIDAY_3PM, targets=SlaTargets(3 * HOUR, 2 * HOUR / 0.75))
    assert warned.first_response.warning_at == MONDAY_9AM  # 2h reached at Friday's close
    escalate = [Escalation("lead", 6 * HOUR)]
    late = clocks(now=london(2026, 11, 24, 9), escalations=escalate).first_response
    # Breached Monday 09:00; the level fires 6h of business time past the due: Mon 15:00.
    assert late.escalations_due == [("lead", london(2026, 11, 23, 15))]
    closing = clocks(now=london(2026, 11, 24, 9), escalations=[Escalation("lead", 8 * HOUR)])
    # 8h past Friday's close is Monday's close: it fires at Tuesday's opening.
    assert closing.first_response.escalations_due == [("lead", london(2026, 11, 24, 9))]


def test_a_business_day_target_is_counted_from_the_opening():
    days = clocks(now=FRIDAY_3PM, targets=SlaTargets(first_response=BusinessDays(2)))
    assert days.first_response.target == 16 * HOUR  # Fri 15-17, Mon 9-17, Tue 9-15
    assert days.first_response.due == london(2026, 11, 24, 15)  # Tuesday 15:00
    assert days.first_response.rule == BusinessDays(2)
