"""SLA clocks for a ticket, derived from its event log (seeds 002-004).

Nothing here is stored. The first-response and resolution clocks are recomputed from the
ticket's events, its business calendar and its targets every time, so changing a policy
re-derives due times without losing business time already counted, and a pause can never
hide a breach that already happened (the breach instant is a fact of the log). Pure: it
imports the calendar, the event log, the targets and the timeline, never the store.

Rules (the event log's rules are in `bot.sla.eventlog`):
- Time only counts while a clock runs and the calendar is open.
- A clock is breached from its due instant on: it must be stopped strictly before the due
  instant to be met (so a sweeper woken at the due instant sees the breach).
- A warning is due once `warning_share` of the internal target has been counted.
- Each escalation level fires its `after` of business time past the public breach; once the
  clock is stopped, levels that have not fired never will.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.calendar.business import BusinessCalendar, as_utc
from bot.sla.eventlog import ClockTrack, TicketEvent, TicketStatus, replay_log
from bot.sla.targets import Escalation, SlaTargets
from bot.sla.timeline import Segment, build_timeline

_ZERO = timedelta(0)


class ClockName(StrEnum):
    FIRST_RESPONSE = "first response"
    RESOLUTION = "resolution"


class ClockStatus(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    MET_LATE = "met_late"
    PAUSED = "paused"


@dataclass(frozen=True)
class ClockState:
    """One SLA clock as of `TicketClocks.as_of`. Projections assume no further pause."""

    name: ClockName
    target: timedelta | None
    internal_target: timedelta | None
    elapsed: timedelta  # business time counted while running, up to the stop or now
    running: bool  # counting now (started, not stopped, not paused)
    paused: bool  # not stopped, but waiting on the customer
    running_since: datetime | None  # start of the current running stretch
    stopped_at: datetime | None  # when it was met (response / resolution)
    due: datetime | None  # public due instant; None while paused or without a target
    internal_due: datetime | None
    warning_at: datetime | None  # when warning_share of the internal target has elapsed
    breached_at: datetime | None  # when the public target passed; kept after pause/resolve
    internal_breached_at: datetime | None
    remaining: timedelta | None  # public target minus elapsed; negative once breached
    escalations_due: list[tuple[str, datetime]] = field(default_factory=list)

    def is_breached(self, now: datetime) -> bool:
        """Whether the public target has passed by `now`."""
        now = as_utc(now, "now")
        if self.breached_at is not None and self.breached_at <= now:
            return True
        return self.running and self.due is not None and self.due <= now

    def state(self, now: datetime) -> ClockStatus:
        """One of "ok", "warning", "breached", "met", "met_late", "paused"."""
        now = as_utc(now, "now")
        if self.stopped_at is not None:
            return ClockStatus.MET_LATE if self.breached_at is not None else ClockStatus.MET
        if self.is_breached(now):
            return ClockStatus.BREACHED  # a pause never hides a breach
        if self.paused:
            return ClockStatus.PAUSED
        if self.warning_at is not None and self.warning_at <= now:
            return ClockStatus.WARNING
        return ClockStatus.OK

    def escalation_level(self, now: datetime) -> str | None:
        """The latest escalation level that has fired by `now`, if any."""
        now = as_utc(now, "now")
        fired = [level for level, at in self.escalations_due if at <= now]
        return fired[-1] if fired else None

    def alert_changes(self) -> list[datetime]:
        """Instants at which this clock's alert state (warning, breach, escalation) changes."""
        if self.stopped_at is not None:
            return []
        changes = [at for _, at in self.escalations_due]
        if self.warning_at is not None:
            changes.append(self.warning_at)
        if self.breached_at is not None:
            changes.append(self.breached_at)
        elif self.running and self.due is not None:
            changes.append(self.due)
        return sorted(changes)


@dataclass(frozen=True)
class TicketClocks:
    """Both SLA clocks of a ticket as of `as_of`, with the timeline that produced them."""

    opened_at: datetime
    as_of: datetime
    first_response: ClockState
    resolution: ClockState
    status: TicketStatus
    paused: bool
    timeline: list[Segment]

    @property
    def clocks(self) -> tuple[ClockState, ClockState]:
        return (self.first_response, self.resolution)

    def next_change(self, now: datetime) -> datetime | None:
        """Earliest instant strictly after `now` at which a warning, breach or escalation
        happens, assuming no new events; None if nothing is pending (e.g. resolved).

        Meant for a sweeper's indexed due-at column. Internal-target breaches are not alert
        state changes here (they do not change `state()`); warnings cover that window.
        """
        now = as_utc(now, "now")
        upcoming = [at for clock in self.clocks for at in clock.alert_changes() if at > now]
        return min(upcoming, default=None)


def compute_clocks(
    events: Sequence[TicketEvent],
    calendar: BusinessCalendar,
    targets: SlaTargets,
    now: datetime,
    *,
    warning_share: float = 0.75,
    escalations: Sequence[Escalation] = (),
) -> TicketClocks:
    """Derive both SLA clocks of a ticket from its event log as of `now`.

    Raises ValueError if the log has no OPENED event at or before `now`.
    """
    now = as_utc(now, "now")
    if not 0 < warning_share <= 1:
        raise ValueError(f"warning_share must be in (0, 1], got {warning_share}")
    replay = replay_log(events, now)
    rules = _ClockRules(calendar, now, warning_share, escalations)
    return TicketClocks(
        opened_at=replay.opened_at,
        as_of=now,
        first_response=rules.clock_state(
            ClockName.FIRST_RESPONSE,
            replay.first_response,
            targets.first_response,
            targets.first_response_internal,
        ),
        resolution=rules.clock_state(
            ClockName.RESOLUTION,
            replay.resolution,
            targets.resolution,
            targets.resolution_internal,
        ),
        status=replay.status,
        paused=replay.paused,
        timeline=build_timeline(replay.phases, calendar),
    )


# --- one clock's state -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Counted:
    """The business time one clock has counted, stretch by stretch, as of `now`."""

    track: ClockTrack
    calendar: BusinessCalendar
    now: datetime
    stretches: list[tuple[datetime, datetime]]
    business: list[timedelta]  # counted in each stretch
    elapsed: timedelta

    @classmethod
    def of(cls, track: ClockTrack, calendar: BusinessCalendar, now: datetime) -> _Counted:
        stretches = list(track.stretches)
        if track.running_since is not None:
            stretches.append((track.running_since, now))
        business = [calendar.business_time_between(start, end) for start, end in stretches]
        return cls(track, calendar, now, stretches, business, sum(business, _ZERO))

    @property
    def running(self) -> bool:
        return self.track.running_since is not None

    def reached(self, amount: timedelta) -> datetime | None:
        """The instant `amount` of business time was reached while running, if it was."""
        so_far = _ZERO
        for (start, _), business in zip(self.stretches, self.business, strict=True):
            if so_far + business >= amount:
                return self.calendar.add_business_time(start, amount - so_far)
            so_far += business
        return None

    def due_and_breach(self, amount: timedelta | None) -> tuple[datetime | None, datetime | None]:
        """(due instant, breach instant) for a target; due is projected if not yet reached."""
        if amount is None:
            return None, None
        hit = self.reached(amount)
        track = self.track
        if hit is not None:
            return (None if track.active and not self.running else hit), hit
        if self.running:
            return self.calendar.add_business_time(self.now, amount - self.elapsed), None
        if track.stopped_at is not None:
            # "It was due at ..." as seen when the clock stopped; useful in explanations.
            return self.calendar.add_business_time(track.stopped_at, amount - self.elapsed), None
        return None, None  # paused before reaching it

    def warning_at(self, amount: timedelta) -> datetime | None:
        """When `amount` (the warning share of the internal target) is, or will be, counted;
        None if the clock stopped or paused before counting it."""
        reached = self.reached(amount)
        if reached is None and self.running:
            return self.calendar.add_business_time(self.now, amount - self.elapsed)
        return reached


@dataclass(frozen=True)
class _ClockRules:
    """What every clock of one ticket is measured with: calendar, now, warnings, escalations."""

    calendar: BusinessCalendar
    now: datetime
    warning_share: float
    escalations: Sequence[Escalation]

    def clock_state(
        self,
        name: ClockName,
        track: ClockTrack,
        target: timedelta | None,
        internal_target: timedelta | None,
    ) -> ClockState:
        counted = _Counted.of(track, self.calendar, self.now)
        due, breached_at = counted.due_and_breach(target)
        internal_due, internal_breached_at = counted.due_and_breach(internal_target)
        warning_at = (
            counted.warning_at(internal_target * self.warning_share)
            if internal_target is not None
            else None
        )
        return ClockState(
            name=name,
            target=target,
            internal_target=internal_target,
            elapsed=counted.elapsed,
            running=counted.running,
            paused=track.active and not counted.running,
            running_since=track.running_since,
            stopped_at=track.stopped_at,
            due=due,
            internal_due=internal_due,
            warning_at=warning_at,
            breached_at=breached_at,
            internal_breached_at=internal_breached_at,
            remaining=None if target is None else target - counted.elapsed,
            escalations_due=self.escalations_due(breached_at, track.stopped_at),
        )

    def escalations_due(
        self, breached_at: datetime | None, stopped_at: datetime | None
    ) -> list[tuple[str, datetime]]:
        """(level, instant) for each escalation level, earliest first: `after` of business
        time past the public breach. Once the clock is stopped, later levels never fire."""
        if breached_at is None:
            return []
        due: list[tuple[str, datetime]] = []
        for escalation in self.escalations:
            fires = self.calendar.add_business_time(breached_at, escalation.after)
            if stopped_at is None or fires <= stopped_at:
                due.append((escalation.level, fires))
        due.sort(key=lambda item: item[1])
        return due
