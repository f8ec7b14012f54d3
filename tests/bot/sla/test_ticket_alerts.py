"""Properties of the alert state machine: a sweep woken only at `next_change` instants sees
every state the ticket passes through, and states only ever get worse while nobody acts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.policy.loader import load_policy
from bot.sla.clocks import compute_clocks
from bot.sla.escalation import alert_state
from bot.sla.eventlog import EventKind, TicketEvent
from bot.sla.targets import escalations_for, targets_for

POLICY = load_policy(None)
START = datetime(2026, 3, 20, tzinfo=UTC)  # spans the March DST change


def state_at(plan, priority, opened, now):
    clocks = compute_clocks(
        [TicketEvent(EventKind.OPENED, opened)],
        plan.calendar,
        targets_for(plan, priority),
        now,
        warning_share=POLICY.sla.warning_share,
        escalations=escalations_for(POLICY, plan),
    )
    return alert_state(clocks, POLICY, now), clocks


@settings(max_examples=60, deadline=None)
@given(
    plan_name=st.sampled_from(["lite", "professional"]),
    priority=st.sampled_from(["immediate", "priority"]),
    opened_minutes=st.integers(0, 14 * 24 * 60),
    probes=st.lists(st.integers(0, 4 * 24 * 60), min_size=1, max_size=5),
)
def test_sweeping_at_next_change_sees_every_state(plan_name, priority, opened_minutes, probes):
    plan = POLICY.plans[plan_name]
    opened = START + timedelta(minutes=opened_minutes)
    horizon = opened + timedelta(days=4)
    # The chain of instants a sweep would wake at.
    chain: list[tuple[datetime, str, int]] = []
    at: datetime | None = opened
    while at is not None and at <= horizon:
        state, clocks = state_at(plan, priority, opened, at)
        chain.append((at, state.base, state.severity))
        at = clocks.next_change(at)
    severities = [severity for _, _, severity in chain]
    assert severities == sorted(severities)  # nobody acted: it only gets worse
    if not plan.escalate:  # Lite (seed 003): a breach at most, never an escalation level
        assert max(severities) <= 2
    for probe in probes:
        now = opened + timedelta(minutes=probe)
        expected = [base for woke, base, _ in chain if woke <= now][-1]
        assert state_at(plan, priority, opened, now)[0].base == expected
    # No state changes while a business-hours team is closed (none at 3 a.m.): every change
    # falls in open time, or exactly as it closes.
    for woke, _, _ in chain[1:]:
        calendar = plan.calendar
        assert calendar.is_open(woke) or calendar.is_open(woke - timedelta(seconds=1))
