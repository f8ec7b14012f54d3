"""SLA clocks for a ticket, derived from its event log; plus monthly goal arithmetic.

Nothing here is stored. The first-response and resolution clocks are recomputed from the
ticket's events, its business calendar and its targets every time, so changing a policy
re-derives due times without losing business time already counted, and a pause can never
hide a breach that already happened (the breach instant is a fact of the log).

Rules:
- Both clocks start at OPENED. First response stops at the first RESPONDED; resolution stops
  at RESOLVED and REOPENED restarts it, keeping the time already counted.
- RESOLVED also stops a first-response clock that is still running: resolving the ticket is
  the team's answer to the customer.
- PAUSED (waiting on the customer) pauses every running clock until RESUMED or RESOLVED.
  Repeated PAUSED/RESUMED are ignored, and so are events that make no sense in the current
  state (RESUMED when not paused, REOPENED when not resolved, a second OPENED).
- Events are applied in time order (stable for equal times); events before the first OPENED
  or after `now` are ignored.
- Time only counts while a clock runs and the calendar is open.
- A clock is breached from its due instant on: it must be stopped strictly before the due
  instant to be met (so a sweeper woken at the due instant sees the breach).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

from bot.calendar.business import BusinessCalendar, as_utc

ClockName = Literal["first response", "resolution"]
ClockStatus = Literal["ok", "warning", "breached", "met", "met_late", "paused"]
TicketStatus = Literal["open", "paused", "responded", "resolved"]
SegmentKind = Literal["running", "paused", "closed"]

OUTSIDE_HOURS = "outside business hours"
_DASH = "\u2013"  # en dash, for time ranges in explanations
_ZERO = timedelta(0)


class EventKind(StrEnum):
    """Things that happen to a ticket that matter to its SLA clocks."""

    OPENED = "opened"
    RESPONDED = "responded"
    PAUSED = "paused"  # waiting on the customer
    RESUMED = "resumed"
    RESOLVED = "resolved"
    REOPENED = "reopened"


@dataclass(frozen=True)
class TicketEvent:
    kind: EventKind
    at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind))
        object.__setattr__(self, "at", as_utc(self.at, f"{self.kind} event time"))


def _check_duration(value: timedelta | None, what: str) -> None:
    if value is not None and (not isinstance(value, timedelta) or value < _ZERO):
        raise ValueError(f"{what} must be a non-negative timedelta or None, got {value!r}")


@dataclass(frozen=True)
class SlaTargets:
    """Business-time targets for a ticket; None means no target for that clock."""

    first_response: timedelta | None = None
    first_response_internal: timedelta | None = None  # stricter, for the team's own warnings
    resolution: timedelta | None = None
    resolution_internal: timedelta | None = None

    def __post_init__(self) -> None:
        for name in (
            "first_response",
            "first_response_internal",
            "resolution",
            "resolution_internal",
        ):
            _check_duration(getattr(self, name), f"{name} target")


@dataclass(frozen=True)
class Escalation:
    """Escalate to `level` once `after` of business time has passed since the public breach."""

    level: str
    after: timedelta

    def __post_init__(self) -> None:
        _check_duration(self.after, f"escalation {self.level!r} delay")


@dataclass(frozen=True)
class Segment:
    """A stretch of a ticket's life, for `/ticket why`.

    kind "running": a clock ran during open hours (`business` counted); "closed": a clock ran
    but the team was closed (`reason`: a holiday name, "closure", "weekend", "not a working
    day" for whole days, or "outside business hours"); "paused": waiting on the customer
    (`business` = open time that did not count, `reason` "waiting on customer").
    """

    start: datetime
    end: datetime
    kind: SegmentKind
    business: timedelta
    reason: str | None = None


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
            return "met_late" if self.breached_at is not None else "met"
        if self.is_breached(now):
            return "breached"  # a pause never hides a breach
        if self.paused:
            return "paused"
        if self.warning_at is not None and self.warning_at <= now:
            return "warning"
        return "ok"

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


class _ClockTrack:
    """Running/stopped bookkeeping for one clock while replaying events."""

    def __init__(self) -> None:
        self.stretches: list[tuple[datetime, datetime]] = []
        self.running_since: datetime | None = None
        self.active = False  # started and not stopped (may be paused)
        self.stopped_at: datetime | None = None

    def start(self, at: datetime) -> None:
        self.active, self.stopped_at, self.running_since = True, None, at

    def pause(self, at: datetime) -> None:
        if self.running_since is not None:
            self.stretches.append((self.running_since, at))
            self.running_since = None

    def resume(self, at: datetime) -> None:
        if self.active and self.running_since is None:
            self.running_since = at

    def stop(self, at: datetime) -> None:
        self.pause(at)
        self.active, self.stopped_at = False, at


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
    log = sorted((event for event in events if event.at <= now), key=lambda event: event.at)
    opening = next((i for i, event in enumerate(log) if event.kind is EventKind.OPENED), None)
    if opening is None:
        raise ValueError("ticket has no OPENED event at or before now")
    opened_at = log[opening].at

    first_response, resolution = _ClockTrack(), _ClockTrack()
    first_response.start(opened_at)
    resolution.start(opened_at)
    paused = resolved = responded = False
    phases: list[tuple[datetime, datetime, SegmentKind]] = []
    phase: tuple[datetime, SegmentKind] | None = (opened_at, "running")

    def switch_phase(at: datetime, kind: SegmentKind | None) -> None:
        nonlocal phase
        if phase is not None and phase[1] == kind:
            return
        if phase is not None and phase[0] < at:
            phases.append((phase[0], at, phase[1]))
        phase = (at, kind) if kind is not None else None

    for event in log[opening + 1 :]:
        at = event.at
        match event.kind:
            case EventKind.RESPONDED if first_response.active:
                first_response.stop(at)
                responded = True
            case EventKind.PAUSED if not paused and not resolved:
                paused = True
                first_response.pause(at)
                resolution.pause(at)
                switch_phase(at, "paused")
            case EventKind.RESUMED if paused:
                paused = False
                first_response.resume(at)
                resolution.resume(at)
                switch_phase(at, "running")
            case EventKind.RESOLVED if not resolved:
                paused, resolved = False, True
                if first_response.active:
                    first_response.stop(at)
                resolution.stop(at)
                switch_phase(at, None)
            case EventKind.REOPENED if resolved:
                resolved = False
                resolution.start(at)
                switch_phase(at, "running")
            case _:
                pass  # duplicates and out-of-state events are ignored, see module docstring
    switch_phase(now, None)

    def clock(
        name: ClockName, track: _ClockTrack, target: timedelta | None, internal: timedelta | None
    ) -> ClockState:
        return _clock_state(
            name, track, target, internal, calendar, now, warning_share, escalations
        )

    if resolved:
        status: TicketStatus = "resolved"
    elif paused:
        status = "paused"
    elif responded:
        status = "responded"
    else:
        status = "open"
    return TicketClocks(
        opened_at=opened_at,
        as_of=now,
        first_response=clock(
            "first response",
            first_response,
            targets.first_response,
            targets.first_response_internal,
        ),
        resolution=clock("resolution", resolution, targets.resolution, targets.resolution_internal),
        status=status,
        paused=paused,
        timeline=_timeline(phases, calendar),
    )


def _clock_state(
    name: ClockName,
    track: _ClockTrack,
    target: timedelta | None,
    internal_target: timedelta | None,
    calendar: BusinessCalendar,
    now: datetime,
    warning_share: float,
    escalations: Sequence[Escalation],
) -> ClockState:
    running = track.running_since is not None
    stretches = list(track.stretches)
    if running:
        stretches.append((track.running_since, now))  # type: ignore[arg-type]
    counted = [calendar.business_time_between(start, end) for start, end in stretches]
    elapsed = sum(counted, _ZERO)

    def reached(amount: timedelta) -> datetime | None:
        """The instant `amount` of business time was reached while running, if it was."""
        so_far = _ZERO
        for (start, _), business in zip(stretches, counted, strict=True):
            if so_far + business >= amount:
                return calendar.add_business_time(start, amount - so_far)
            so_far += business
        return None

    def projected(amount: timedelta | None) -> tuple[datetime | None, datetime | None]:
        """(due instant, breach instant) for a target; due is projected if not yet reached."""
        if amount is None:
            return None, None
        hit = reached(amount)
        if hit is not None:
            return (None if track.active and not running else hit), hit
        if running:
            return calendar.add_business_time(now, amount - elapsed), None
        if track.stopped_at is not None:
            # "It was due at ..." as seen when the clock stopped; useful in explanations.
            return calendar.add_business_time(track.stopped_at, amount - elapsed), None
        return None, None  # paused before reaching it

    due, breached_at = projected(target)
    internal_due, internal_breached_at = projected(internal_target)
    warning_at = None
    if internal_target is not None:
        warning_at = reached(internal_target * warning_share)
        if warning_at is None and running:
            warning_at = calendar.add_business_time(now, internal_target * warning_share - elapsed)

    escalations_due: list[tuple[str, datetime]] = []
    if breached_at is not None:
        for escalation in escalations:
            fires = calendar.add_business_time(breached_at, escalation.after)
            # Once the clock is stopped, later escalations never fire.
            if track.stopped_at is None or fires <= track.stopped_at:
                escalations_due.append((escalation.level, fires))
        escalations_due.sort(key=lambda item: item[1])

    return ClockState(
        name=name,
        target=target,
        internal_target=internal_target,
        elapsed=elapsed,
        running=running,
        paused=track.active and not running,
        running_since=track.running_since,
        stopped_at=track.stopped_at,
        due=due,
        internal_due=internal_due,
        warning_at=warning_at,
        breached_at=breached_at,
        internal_breached_at=internal_breached_at,
        remaining=None if target is None else target - elapsed,
        escalations_due=escalations_due,
    )


def _timeline(
    phases: list[tuple[datetime, datetime, SegmentKind]], calendar: BusinessCalendar
) -> list[Segment]:
    segments: list[Segment] = []
    for start, end, kind in phases:
        if kind == "paused":
            paused_business = calendar.business_time_between(start, end)
            segments.append(Segment(start, end, "paused", paused_business, "waiting on customer"))
            continue
        cursor = start
        for open_from, open_until in calendar.open_intervals(start, end):
            segments.extend(_closed_segments(calendar, cursor, open_from))
            segments.append(Segment(open_from, open_until, "running", open_until - open_from))
            cursor = open_until
        segments.extend(_closed_segments(calendar, cursor, end))
    return segments


def _closed_segments(calendar: BusinessCalendar, start: datetime, end: datetime) -> list[Segment]:
    """Split closed time into one segment per day closed all day (with the reason) and
    overnight gaps ("outside business hours")."""
    zone = calendar.zone
    skipped = dict(calendar.closed_days(start, end))
    segments: list[Segment] = []
    cursor = start
    while cursor < end:
        day = cursor.astimezone(zone).date()
        day_end = _local_midnight(day + timedelta(days=1), zone)
        if day_end <= cursor:  # guard against odd DST changes at midnight
            day_end = cursor + timedelta(days=1)
        piece_end = min(day_end, end)
        if day in skipped:
            reason = skipped[day]
        elif not calendar.weekly_hours.get(day.weekday()):
            reason = "weekend" if day.weekday() >= 5 else "not a working day"
        else:
            reason = OUTSIDE_HOURS
        last = segments[-1] if segments else None
        if last is not None and last.reason == reason == OUTSIDE_HOURS:
            segments[-1] = Segment(last.start, piece_end, "closed", _ZERO, reason)
        else:
            segments.append(Segment(cursor, piece_end, "closed", _ZERO, reason))
        cursor = piece_end
    return segments


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


# --- explanations --------------------------------------------------------------------------


def format_duration(duration: timedelta) -> str:
    """Compact business-time duration: "1h", "45m", "2h 30m", "-1h 5m"; whole seconds shown
    only when present."""
    seconds = round(duration.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    units = ((hours, "h"), (minutes, "m"), (seconds, "s"))
    shown = [f"{value}{unit}" for value, unit in units if value]
    return sign + (" ".join(shown) if shown else "0m")


def _day(at: datetime) -> str:
    return f"{at:%a} {at.day} {at:%b}"


def _when(at: datetime, zone: tzinfo) -> str:
    local = at.astimezone(zone)
    return f"{_day(local)} {local:%H:%M %Z}"


def _span(start: datetime, end: datetime, zone: tzinfo) -> str:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() == local_end.date():
        return f"{_day(local_start)} {local_start:%H:%M}{_DASH}{local_end:%H:%M}"
    if local_end.time() == datetime.min.time() and local_end - local_start <= timedelta(days=1):
        return f"{_day(local_start)} {local_start:%H:%M}{_DASH}24:00"
    return f"{_day(local_start)} {local_start:%H:%M} {_DASH} {_day(local_end)} {local_end:%H:%M}"


def _target_text(target: timedelta | None, internal: timedelta | None) -> str:
    if target is None and internal is None:
        return "none"
    text = format_duration(target) if target is not None else "none"
    if internal is not None:
        text += f" (internal {format_duration(internal)})"
    return text


def _clock_lines(
    clock: ClockState, opened_at: datetime, as_of: datetime, zone: tzinfo
) -> list[str]:
    title = clock.name[0].upper() + clock.name[1:]
    lines: list[str] = []
    if clock.stopped_at is not None:
        verb = "met late" if clock.breached_at is not None else "met"
        line = f"{title} {verb} at {_when(clock.stopped_at, zone)}"
        line += f" after {format_duration(clock.elapsed)} of business time"
        if clock.target is not None:
            line += f" (target {format_duration(clock.target)})"
        lines.append(line)
    elif clock.target is None:
        lines.append(f"{title}: no target; {format_duration(clock.elapsed)} counted so far")
    elif clock.paused and clock.breached_at is None:
        lines.append(
            f"{title} paused with {format_duration(clock.elapsed)} counted, "
            f"{format_duration(clock.remaining or _ZERO)} left"
        )
    elif clock.breached_at is None and clock.due is not None:
        since = clock.running_since or opened_at
        if since == opened_at:
            how = f"{since.astimezone(zone):%H:%M} + {format_duration(clock.target)} business time"
        else:
            how = (
                f"{since.astimezone(zone):%H:%M} + {format_duration(clock.remaining or _ZERO)} "
                f"business time ({format_duration(clock.elapsed)} already counted)"
            )
        lines.append(f"{title} due {_when(clock.due, zone)} = {how}")
    if clock.breached_at is not None:
        over = clock.elapsed - clock.target if clock.target is not None else _ZERO
        lines.append(
            f"{title} breached at {_when(clock.breached_at, zone)}"
            + (f" ({format_duration(over)} over)" if over > _ZERO else "")
        )
    for level, at in clock.escalations_due:
        verb = "Escalated" if at <= as_of else "Escalates"
        lines.append(f"{verb} to {level} at {_when(at, zone)} ({clock.name})")
    return lines


def explain(clocks: TicketClocks, tz: str | tzinfo) -> list[str]:
    """Human-readable lines explaining how the clocks got where they are, in time zone `tz`."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    first, resolution = clocks.first_response, clocks.resolution
    lines = [
        f"Opened {_when(clocks.opened_at, zone)}; first response target "
        f"{_target_text(first.target, first.internal_target)}, resolution target "
        f"{_target_text(resolution.target, resolution.internal_target)} of business time"
    ]
    previous_end = clocks.opened_at
    for segment in clocks.timeline:
        if segment.start > previous_end:
            # Timeline gaps are the only times no clock ran: resolved until reopened.
            lines.append(
                f"Resolved {_when(previous_end, zone)}, reopened {_when(segment.start, zone)}"
            )
        previous_end = segment.end
        if segment.kind == "running":
            span = _span(segment.start, segment.end, zone)
            lines.append(f"{span}: {format_duration(segment.business)} counted")
        elif segment.kind == "paused":
            lines.append(
                f"Paused {_span(segment.start, segment.end, zone)} (waiting on customer); "
                f"{format_duration(segment.business)} of business time not counted"
            )
        elif segment.reason in ("weekend", "not a working day"):
            lines.append(f"{_day(segment.start.astimezone(zone))}: closed ({segment.reason})")
        elif segment.reason == "closure":
            lines.append(f"{_day(segment.start.astimezone(zone))}: team closure, skipped")
        elif segment.reason not in (None, OUTSIDE_HOURS):
            lines.append(f"{_day(segment.start.astimezone(zone))}: {segment.reason}, skipped")
    for clock in clocks.clocks:
        lines.extend(_clock_lines(clock, clocks.opened_at, clocks.as_of, zone))
    return lines


# --- monthly goals -------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it.
    `p` in (0, 100]; None for no values."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    if not values:
        return None
    ordered = sorted(values)
    # Fraction keeps ranks exact (e.g. 90% of 10 is rank 9, not 9.000000000000002 -> 10).
    rank = math.ceil(Fraction(p) * len(ordered) / 100)
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class GoalSummary:
    """How a month's first responses compare with a goal like "90% within 6h"."""

    within: int
    total: int
    ratio: float | None  # None with no tickets yet
    met: bool  # True with no tickets yet: nothing has missed
    p50: float | None
    p90: float | None
    affordable_breaches: int


def goal_summary(
    first_response_minutes: Sequence[float],
    goal_share: float,
    goal_minutes: float,
    tickets_expected: int | None = None,
) -> GoalSummary:
    """Summarise first-response times (minutes) against "goal_share within goal_minutes".

    A response is within the goal if it took at most `goal_minutes`.
    `affordable_breaches` is how many more responses could miss the goal this month while the
    share within stays >= goal_share:
    - with `tickets_expected`, assuming the month ends with that many tickets (or the number
      seen so far, if more) and every response not counted as a miss is within the goal;
    - without it, assuming every further ticket misses, i.e. how many misses in a row the
      ratio can absorb before dropping below the goal.
    It is never negative (0 once the goal is already missed).
    """
    if not 0 < goal_share <= 1:
        raise ValueError(f"goal_share must be in (0, 1], got {goal_share}")
    if tickets_expected is not None and tickets_expected < 0:
        raise ValueError(f"tickets_expected must not be negative, got {tickets_expected}")
    total = len(first_response_minutes)
    # Strictly less, as the clocks count it: a response at the due instant is a breach.
    within = sum(1 for minutes in first_response_minutes if minutes < goal_minutes)
    # The goal as written ("0.9"), not its binary approximation, so 9/10 meets 90%.
    goal = Fraction(repr(float(goal_share)))
    met = total == 0 or Fraction(within, total) >= goal
    if tickets_expected is not None:
        month_total = max(tickets_expected, total)
        still_to_come = month_total - total
        affordable = math.floor(within + still_to_come - goal * month_total)
        affordable = min(affordable, still_to_come)
    else:
        affordable = math.floor(within / goal - total)
    return GoalSummary(
        within=within,
        total=total,
        ratio=within / total if total else None,
        met=met,
        p50=percentile(first_response_minutes, 50),
        p90=percentile(first_response_minutes, 90),
        affordable_breaches=max(affordable, 0),
    )
