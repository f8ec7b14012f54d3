"""A reply at the deadline meets it (issue 10, item 2), over signed HTTP on both databases.

Seed 003: Immediate tickets are answered "within 1 hour"; like every other limit in Hourglass
the target is inclusive, so 10:00:00 meets a ticket opened at 09:00:00 and 10:00:01 does not.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.handlers.commands.test_tickets import CHANNEL, alerts
from tests.harness import MANAGER

SECOND = timedelta(seconds=1)


@pytest.fixture
def acme(slack):
    slack.command(
        f"/hourglass customer add acme plan=professional channel=<#{CHANNEL}|acme>", MANAGER
    )
    return slack


def test_a_reply_at_the_deadline_is_met_and_one_second_later_is_a_breach(acme, clock):
    # The fixed clock reads Fri 20 Nov 10:00:00 UTC (London).
    acme.command("/ticket open acme immediate Down opened today 09:00")
    acme.command("/ticket open acme immediate Also down opened today 09:00")
    on_time = acme.command("/ticket respond 1").text
    assert "First response met at Fri 20 Nov 10:00 GMT" in on_time
    acme.sweep()  # the sweep at the due instant sees no breach on #2 either
    assert [a.kind for a in alerts(acme.database)] == ["sla_warning", "sla_warning"]

    clock.advance(SECOND)
    late = acme.command("/ticket respond 2").text
    assert "First response *breached* at Fri 20 Nov 10:00 GMT, answered late at" in late
    first, second = (alert.text for alert in alerts(acme.database))
    assert "First response sent" in first and "late" not in first
    assert "First response sent" in second and "(late: breached Fri 20 Nov 10:00 GMT)" in second

    why = acme.command("/ticket why 1").text
    assert "First response met at Fri 20 Nov 10:00 GMT after 1h of business time" in why
    assert "breached" not in why
    why_late = acme.command("/ticket why 2").text
    # Whole minutes, rounded away from the target: 1s late reads as a started minute over,
    # and the count agrees with it (1h + 1m = 1h 1m), never a "1h" that reads as met.
    assert "First response late at Fri 20 Nov 10:00 GMT after 1h 1m of business time" in why_late
    assert "First response breached at Fri 20 Nov 10:00 GMT (1m over)" in why_late

    sla = acme.command("/hourglass sla acme 2026-11", MANAGER).text
    assert "2 tickets, 2 responded, 1 breached, 50.0% within target" in sla
    statement = acme.command("/hourglass report acme 2026-11", MANAGER).text
    assert "SLA: 2 tickets, 2 responded, 1 breached, 50.0% within target" in statement
    for text in (on_time, late, why, why_late, sla, statement):
        assert "(late)" not in text and "met late" not in text
