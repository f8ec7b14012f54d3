"""A ticket's event log and its replay: what happened to the ticket, in order, and what that
means for each clock's running stretches, the ticket's status and its phases.

Rules (the clocks' module docstring has the rest):
- Both clocks start at OPENED. First response stops at the first RESPONDED; resolution stops
  at RESOLVED and REOPENED restarts it, keeping the time already counted.
- RESOLVED also stops a first-response clock that is still running: resolving the ticket is
  the team's answer to the customer.
- PAUSED (waiting on the customer) pauses every running clock until RESUMED or RESOLVED.
  Repeated PAUSED/RESUMED are ignored, and so are events that make no sense in the current
  state (RESUMED when not paused, REOPENED when not resolved, a second OPENED).
- Events are applied in time order (stable for equal times); events before the first OPENED
  or after `now` are ignored.

Pure: it knows nothing of calendars, targets or the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.calendar.business import as_utc
from bot.sla.timeline import Phase, SegmentKind


class EventKind(StrEnum):
    """Things that happen to a ticket that matter to its SLA clocks."""

    OPENED = "opened"
    RESPONDED = "responded"
    PAUSED = "paused"  # waiting on the customer
    RESUMED = "resumed"
    RESOLVED = "resolved"
    REOPENED = "reopened"


class TicketStatus(StrEnum):
    """Where a ticket stands, as stored on its row for lists and the sweep."""

    OPEN = "open"
    PAUSED = "paused"
    RESPONDED = "responded"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class TicketEvent:
    kind: EventKind
    at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind))
        object.__setattr__(self, "at", as_utc(self.at, f"{self.kind} event time"))


class ClockTrack:
    """Running/stopped bookkeeping for one clock while replaying events."""

    def __init__(self) -> None:
        self.stretches: list[tuple[datetime, datetime]] = []  # ended running stretches
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


class Replay:
    """A ticket's life replayed event by event: both clocks, its state, and the running and
    paused phases its timeline is cut from."""

    def __init__(self, opened_at: datetime) -> None:
        self.opened_at = opened_at
        self.first_response, self.resolution = ClockTrack(), ClockTrack()
        self.first_response.start(opened_at)
        self.resolution.start(opened_at)
        self.paused = self.resolved = self.responded = False
        self.phases: list[Phase] = []
        self._phase: tuple[datetime, SegmentKind] | None = (opened_at, SegmentKind.RUNNING)

    def apply(self, event: TicketEvent) -> None:
        at = event.at
        match event.kind:
            case EventKind.RESPONDED if self.first_response.active:
                self.first_response.stop(at)
                self.responded = True
            case EventKind.PAUSED if not self.paused and not self.resolved:
                self.paused = True
                self.first_response.pause(at)
                self.resolution.pause(at)
                self._switch_phase(at, SegmentKind.PAUSED)
            case EventKind.RESUMED if self.paused:
                self.paused = False
                self.first_response.resume(at)
                self.resolution.resume(at)
                self._switch_phase(at, SegmentKind.RUNNING)
            case EventKind.RESOLVED if not self.resolved:
                self.paused, self.resolved = False, True
                if self.first_response.active:
                    self.first_response.stop(at)
                self.resolution.stop(at)
                self._switch_phase(at, None)
            case EventKind.REOPENED if self.resolved:
                self.resolved = False
                self.resolution.start(at)
                self._switch_phase(at, SegmentKind.RUNNING)
            case _:
                pass  # duplicates and out-of-state events are ignored, see module docstring

    def finish(self, now: datetime) -> None:
        """Close the phase still open at `now`."""
        self._switch_phase(now, None)

    @property
    def status(self) -> TicketStatus:
        if self.resolved:
            return TicketStatus.RESOLVED
        if self.paused:
            return TicketStatus.PAUSED
        if self.responded:
            return TicketStatus.RESPONDED
        return TicketStatus.OPEN

    def _switch_phase(self, at: datetime, kind: SegmentKind | None) -> None:
        """End the current phase at `at` and start one of `kind` (None: no clock runs)."""
        phase = self._phase
        if phase is not None and phase[1] == kind:
            return
        if phase is not None and phase[0] < at:
            self.phases.append((phase[0], at, phase[1]))
        self._phase = (at, kind) if kind is not None else None


def replay_log(events: Sequence[TicketEvent], now: datetime) -> Replay:
    """Replay the events up to `now` in time order (stable), from the first OPENED on.

    Raises ValueError if the log has no OPENED event at or before `now`.
    """
    log = sorted((event for event in events if event.at <= now), key=lambda event: event.at)
    opening = next((i for i, event in enumerate(log) if event.kind is EventKind.OPENED), None)
    if opening is None:
        raise ValueError("ticket has no OPENED event at or before now")
    replay = Replay(log[opening].at)
    for event in log[opening + 1 :]:
        replay.apply(event)
    replay.finish(now)
    return replay
