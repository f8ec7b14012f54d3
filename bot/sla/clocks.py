"""SLA clocks for a ticket, derived from its event log (seeds 002-004).

Nothing here is stored. The first-response and resolution clocks are recomputed from the
ticket's events, its business calendar and its targets every time, so changing a policy
re-derives due times without losing business time already counted, and a pause can never
hide a breach that already happened (the breach instant is a fact of the log). Pure: it
imports the calendar, the event log, the targets and the timeline, never the store.

Rules (the event log's rules are in `bot.sla.eventlog`):
- Time only counts while a clock runs and the calendar is open.
- Targets are inclusive, like every other limit in Hourglass (seed 003: "within 1 hour"): a
  clock stopped with exactly its target counted is met, so a reply at the due instant meets
  it. It is breached only once business time passes the target, one tick (a microsecond)
  of business time after the due instant; `breaches_at` is that instant ahead of time, so
  the sweeper wakes when the breach can first be seen.
- A target used up exactly at a closing is still met until the team opens again (no business
  time passes meanwhile), so the due instant shown is that next opening: a 2h target opened
  Fri 15:00 on a 09:00-17:00 calendar is due Mon 09:00, and its breach is raised then.
- A target in business days ("2bd") is, for each ticket, the business time from its opening
  to that many business days later (`bot.calendar.business_days`); from there on it counts
  like any other.
- A warning is due once `warning_share` of the internal target has been counted, at the
  first open instant it has (never at a closing).
- Each escalation level fires its `after` of business time past the public due instant the
  breach passed (never before the breach itself, never at a closing); once the clock is
  stopped, levels that have not fired never will.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from bot.calendar.business import BusinessCalendar, as_utc
from bot.calendar.business_days import Target
from bot.sla.eventlog import ClockTrack, TicketEvent, TicketStatus, replay_log
from bot.sla.targets import Escalation, SlaTargets
from bot.sla.timeline import Segment, build_timeline

_ZERO = timedelta(0)
TICK = timedelta(
    microseconds=1
)  # the resolution of instants: a target passed by this much is breached


class ClockName(StrEnum):
    FIRST_RESPONSE = "first response"
    RESOLUTION = "resolution"


class ClockStatus(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
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
    due: datetime | None  # public due instant, the last that meets the target; None while
    # paused or without a target
    internal_due: datetime | None
    warning_at: datetime | None  # when warning_share of the internal target has elapsed
    breached_at: datetime | None  # when the public target passed; kept after pause/resolve
    breaches_at: datetime | None  # when it will pass if the clock keeps running, until it has
    missed_due: datetime | None  # once breached, the due instant it passed (kept while paused)
    internal_breached_at: datetime | None
    remaining: timedelta | None  # public target minus elapsed; negative once breached
    escalations_due: list[tuple[str, datetime]] = field(default_factory=list)
    rule: Target | None = None  # the public target as the policy writes it ("2bd", 8h);
    # `target` is it in business time for this ticket
    spent_at: datetime | None = None  # when `due`'s business time is used up: before `due`
    # when that is a closing (the target is met until the team opens again, at `due`)

    def is_breached(self, now: datetime) -> bool:
        """Whether the public target has passed by `now`."""
        now = as_utc(now, "now")
        if self.breached_at is not None and self.breached_at <= now:
            return True
        return self.running and self.breaches_at is not None and self.breaches_at <= now

    def state(self, now: datetime) -> ClockStatus:
        """One of "ok", "warning", "breached", "met", "paused"; a clock stopped after its
        breach stays "breached" (the breach is a fact of the log)."""
        now = as_utc(now, "now")
        if self.is_breached(now):
            return ClockStatus.BREACHED  # a pause or a late answer never hides a breach
        if self.stopped_at is not None:
            return ClockStatus.MET
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
        for at in (self.breached_at, self.breaches_at):
            if at is not None:
                changes.append(at)
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
    amounts = targets.in_business_time(calendar, replay.opened_at)
    return TicketClocks(
        opened_at=replay.opened_at,
        as_of=now,
        first_response=rules.clock_state(
            ClockName.FIRST_RESPONSE,
            replay.first_response,
            (amounts.first_response, amounts.first_response_internal),
            targets.first_response,
        ),
        resolution=rules.clock_state(
            ClockName.RESOLUTION,
            replay.resolution,
            (amounts.resolution, amounts.resolution_internal),
            targets.resolution,
        ),
        status=replay.status,
        paused=replay.paused,
        timeline=build_timeline(replay.phases, calendar),
    )


# --- one clock's state -------------------------------------------------------------------------


class _Deadline(NamedTuple):
    """One target of one clock, as of now."""

    due: datetime | None  # the last instant that meets it; None while paused or unknown
    reached_at: datetime | None  # when the target was counted in full, if it was
    breached_at: datetime | None  # when business time passed it, if it has
    breaches_at: datetime | None  # when it will pass if the clock keeps running
    spent: datetime | None  # when the target is counted in full: `due`, or the closing before


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

    def deadline(self, amount: timedelta | None) -> _Deadline:
        """Where the clock stands against a target of `amount`: the due instant (projected if
        not yet reached), the breach once business time has passed it, else when it will."""
        if amount is None:
            return _Deadline(None, None, None, None, None)
        hit = self.reached(amount)
        breached_at = self.reached(amount + TICK)
        breaches_at = None
        if breached_at is None and self.running:
            breaches_at = self.calendar.add_business_time(self.now, amount + TICK - self.elapsed)
        track = self.track
        if hit is not None:
            due = None if track.active and not self.running else hit
        elif self.running:
            due = self.calendar.add_business_time(self.now, amount - self.elapsed)
        elif track.stopped_at is not None:
            # "It was due at ..." as seen when the clock stopped; useful in explanations.
            due = self.calendar.add_business_time(track.stopped_at, amount - self.elapsed)
        else:
            due = None  # paused before reaching it
        return _Deadline(self.opening(due), hit, breached_at, breaches_at, due)

    def opening(self, at: datetime | None) -> datetime | None:
        """`at`, or the next opening if the team is closed then: a target or a share of it
        used up at a closing is still within it until then (none of it passes meanwhile)."""
        return None if at is None else self.calendar.next_open(at)

    def warning_at(self, amount: timedelta) -> datetime | None:
        """When `amount` (the warning share of the internal target) is, or will be, counted;
        None if the clock stopped or paused before counting it."""
        reached = self.reached(amount)
        if reached is None and self.running:
            reached = self.calendar.add_business_time(self.now, amount - self.elapsed)
        return self.opening(reached)


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
        amounts: tuple[timedelta | None, timedelta | None],
        rule: Target | None,
    ) -> ClockState:
        """One clock's state; `amounts` are its public and internal targets in business time,
        `rule` the public one as written."""
        target, internal_target = amounts
        counted = _Counted.of(track, self.calendar, self.now)
        public = counted.deadline(target)
        internal = counted.deadline(internal_target)
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
            due=public.due,
            internal_due=internal.due,
            warning_at=warning_at,
            breached_at=public.breached_at,
            breaches_at=public.breaches_at,
            missed_due=counted.opening(public.reached_at) if public.breached_at else None,
            internal_breached_at=internal.breached_at,
            remaining=None if target is None else target - counted.elapsed,
            escalations_due=self.escalations_due(public, track.stopped_at),
            rule=rule,
            spent_at=public.spent,
        )

    def escalations_due(
        self, public: _Deadline, stopped_at: datetime | None
    ) -> list[tuple[str, datetime]]:
        """(level, instant) for each escalation level, earliest first: `after` of business
        time past the due instant the breach passed, and never before the breach itself.
        Once the clock is stopped, later levels never fire."""
        if public.breached_at is None or public.reached_at is None:
            return []
        due: list[tuple[str, datetime]] = []
        for escalation in self.escalations:
            after_due = self.calendar.next_open(
                self.calendar.add_business_time(public.reached_at, escalation.after)
            )
            fires = max(after_due, public.breached_at)
            if stopped_at is None or fires <= stopped_at:
                due.append((escalation.level, fires))
        due.sort(key=lambda item: item[1])
        return due
