"""bench/chaos.py on its short setting (issue 12 items 1 and 5), as CI runs it: two
`gunicorn app:wsgi` replicas (or one `hourglass run` in Socket Mode, against the local
Socket Mode stand-in) and two `hourglass clock` processes on one Postgres database, 20 s
without faults, then 15 s with 20% of Web API calls failing (429, 500, hangs past the
client's timeout) and a replica or clock killed with SIGKILL every 4 s, the leading clock
first (a new leader cuts the dead one's alert leases to TAKEOVER_GRACE, so the drain is
not held up for LEASE): nothing acknowledged lost or doubled, every alert posted once with
its final text, the statements equal to a quiet replay's, and a handover seen. The run's
speed goals (handover, breach-to-post latency) are printed and set its exit code; they are
not this test's (tests assert no timings), which asserts the code agrees with them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bench import chaos


@pytest.mark.slow
@pytest.mark.parametrize("mode", [[], ["--socket-mode"]], ids=["http", "socket-mode"])
def test_the_short_chaos_run_loses_and_doubles_nothing(postgres_url, capsys, mode):
    code = chaos.main(
        [
            "--minutes", "0.25", "--kill-every", "4", "--kill", "all", "--kill-leader",
            "--calm-seconds", "20", "--pace", "0.3", "--drain-seconds", "120",
            "--postgres-url", postgres_url, *mode,
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "result: 0 lost, 0 doubled, 0 alerts missing -> PASS" in out, out
    kills = re.search(r"^kills: (\d+)", out, re.MULTILINE)
    failed = re.search(r"^Web API: \d+ calls during the faults, (\d+) failed", out, re.MULTILINE)
    handovers = re.search(r"^handovers: (\d+), seconds", out, re.MULTILINE)
    assert kills and int(kills.group(1)) >= 2, out
    assert failed and int(failed.group(1)) > 0, out
    assert handovers and int(handovers.group(1)) >= 1, out  # the leader was killed
    assert re.search(r"^breach-to-post with faults: \d+ breaches", out, re.MULTILINE), out
    assert code == (0 if "goals: all met" in out else 1), out


def clock(name: str, leading: list[tuple[float, int]]) -> chaos.Process:
    return chaos.Process(name, [], {}, None, leading=leading)  # type: ignore[arg-type]


def test_a_handover_is_timed_from_killing_the_leader_to_the_next_leading_line():
    fleet = chaos.Fleet.__new__(chaos.Fleet)
    fleet.members = [clock("clock-0", [(1.0, 100), (30.0, 102)]), clock("clock-1", [(12.5, 101)])]
    # 100 leads, is killed at 10 (101 leads at 12.5); 101 is killed at 20 (102 at 30);
    # the follower 103 killed at 40 was not leading: no handover.
    fleet.kills = [(10.0, "clock-0", 100), (20.0, "clock-1", 101), (40.0, "clock-1", 103)]
    assert fleet.handovers() == [2.5, 10.0]


def test_clocks_that_never_say_they_lead_report_no_handovers():
    fleet = chaos.Fleet.__new__(chaos.Fleet)
    fleet.members = [clock("clock-0", []), clock("clock-1", [])]
    fleet.kills = [(10.0, "clock-0", 100)]
    assert fleet.handovers() is None


def sent(number: int, what: str, *, acked: bool, reply: str) -> chaos.Sent:
    step = chaos.Step(number, what, "UCHAOS00", line=f"/log 5m acme chaos-{number}")
    return chaos.Sent(step, what, acked, reply, datetime.now(UTC))


def test_the_check_finds_a_lost_and_a_doubled_record_and_allows_an_unacked_one():
    records = chaos.Records()
    records.entries.update({2: 2, 3: 1})  # 1 lost, 2 doubled, 3 recorded though not acked
    tallies, problems = chaos.check_records(
        [
            sent(1, "log", acked=True, reply="Logged 5m"),
            sent(2, "log", acked=True, reply="Logged 5m"),
            sent(3, "log", acked=False, reply=""),
            sent(4, "log", acked=False, reply=""),
        ],
        records,
    )
    log = tallies["log"]
    assert (log.sent, log.acked, log.recorded, log.lost, log.doubled) == (4, 2, 2, 1, 1)
    assert log.unacked_recorded == 1
    assert sorted(p.split(":")[0] for p in problems) == [
        "DOUBLE log chaos-2",
        "LOST log chaos-1",
    ]


def test_the_goals_name_each_one_missed_and_a_phase_without_breaches_shows_none(capsys):
    slow = chaos.SWEEP_SECONDS * 3 + 1  # past both latency goals
    missed = chaos.goals_missed([1.0, 2 * chaos.SWEEP_SECONDS + 1], chaos.Latencies([], [slow], 0))
    assert missed == [
        f"handover <= {2 * chaos.SWEEP_SECONDS:g} s",
        f"breach-to-post p99 fault-free <= {chaos.SWEEP_SECONDS + 2:g} s",
        f"breach-to-post p99 with faults <= {3 * chaos.SWEEP_SECONDS:g} s",
    ]
    out = capsys.readouterr().out
    assert "breach-to-post fault-free: 0 breaches" in out and "NOT SHOWN (no breach)" in out
    assert chaos.goals_missed([1.0], chaos.Latencies([1.0, 2.0], [3.0], 0)) == []
    assert chaos.goals_missed([1.0], chaos.Latencies([1.0], [3.0], 2)) == [
        "2 breaches never posted"
    ]
    assert chaos.goals_missed([], chaos.Latencies([1.0], [3.0], 0)) == [
        f"handover <= {2 * chaos.SWEEP_SECONDS:g} s not shown"
    ]


def test_a_booking_past_the_clock_change_is_checked_at_the_instant_its_line_means():
    """The 3-minute run's six "lost" bookings: `/book acme 2027-03-28 09:00` is read in the
    agent's zone (Europe/London, BST from that day), so the booking starts at 08:00 UTC; the
    check looked for 09:00 UTC and found nothing."""
    steps = chaos.workload(1, 0, datetime(2027, 3, 25, 12, tzinfo=UTC))
    booking = next(step for step in steps if step.kind == "book")
    assert "2027-03-28 09:00" in booking.line
    assert booking.start == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
