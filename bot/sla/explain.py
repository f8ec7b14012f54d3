"""Ticket clocks in words: business-time durations, instants in a calendar's zone, subjects made
safe for Slack, and the `/ticket why` explanation of how each clock got where it is.

Pure: it reads derived clocks and their timeline, never the store.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.calendar.business_days import BusinessDays
from bot.sla.clocks import ClockState, TicketClocks
from bot.sla.timeline import OUTSIDE_HOURS, Segment, SegmentKind
from bot.units import format_minutes, format_work_date

_DASH = "\u2013"  # en dash, for time ranges in explanations
_ZERO = timedelta(0)
_MINUTE = timedelta(minutes=1)


def minutes_of(duration: timedelta, *, up: bool = False) -> int:
    """Whole minutes of business time: rounded down (a minute counts once it has run), or
    up with `up` (a started minute counts)."""
    whole, rest = divmod(duration, _MINUTE)
    return int(whole) + (1 if up and rest else 0)


def format_duration(duration: timedelta, *, up: bool = False) -> str:
    """Business time the way every duration reads (`bot.units.format_minutes`): "1h", "45m",
    "2h 30m", in whole minutes, never seconds (only a running call timer shows those).

    Rounded down by default: time counted toward a target counts a minute once it has run,
    so nothing reads as used that was not. `up=True` for time left before a target (so it
    never reads `0m` while there is still time: the target never looks spent early) and for
    time past a target (a breach by seconds reads `1m over`, never `0m over`). Targets are
    whole minutes, so counted + left always adds up to the target as shown.
    """
    minutes = minutes_of(abs(duration), up=up)
    return ("-" if duration < _ZERO and minutes else "") + format_minutes(minutes)


def counted_minutes(elapsed: timedelta, target: timedelta | None) -> int:
    """Business time a clock counted, in whole minutes, rounded away from its target: down
    while within it (a clock at 59m 30s of a 1h target reads 59m, with 1m left), up once
    past it (a clock 1s past 1h reads 1h 1m, 1m over): a reading is never at the target
    unless the clock is, so "met" and "late" read true."""
    return minutes_of(elapsed, up=target is not None and elapsed > target)


def format_when(at: datetime | None, zone: tzinfo, *, now: datetime) -> str:
    """An instant as people read it in `zone`: "Mon 23 Nov 09:00 GMT", with the year when it
    is not `now`'s (in `zone`): "Mon 28 Dec 2026 09:00 GMT" read in January; "—" for none."""
    if at is None:
        return "—"
    local = at.astimezone(zone)
    return f"{_day(local, now)} {local:%H:%M %Z}"


def escape(text: str) -> str:
    """Slack mrkdwn control characters, so a subject like `<!channel>` pings nobody."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _day(local: datetime, now: datetime) -> str:
    """`Mon 23 Nov`, or `Mon 28 Dec 2026` outside `now`'s year (`format_work_date`'s rule)."""
    tz = local.tzinfo
    return format_work_date(local.date(), now.astimezone(tz).date() if tz else now.date())


def _span(start: datetime, end: datetime, zone: tzinfo, now: datetime) -> str:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    first = _day(local_start, now)
    if local_start.date() == local_end.date():
        return f"{first} {local_start:%H:%M}{_DASH}{local_end:%H:%M}"
    if local_end.time() == datetime.min.time() and local_end - local_start <= timedelta(days=1):
        return f"{first} {local_start:%H:%M}{_DASH}24:00"
    return f"{first} {local_start:%H:%M} {_DASH} {_day(local_end, now)} {local_end:%H:%M}"


def _target_text(clock: ClockState) -> str:
    target, internal = clock.target, clock.internal_target
    if target is None and internal is None:
        return "none"
    text = format_duration(target) if target is not None else "none"
    if isinstance(clock.rule, BusinessDays):
        text = f"{clock.rule.text} ({text})"
    if internal is not None:
        text += f" (internal {format_duration(internal)})"
    return text


def explain(clocks: TicketClocks, tz: str | tzinfo) -> list[str]:
    """Human-readable lines explaining how the clocks got where they are, in time zone `tz`,
    as read at `clocks.as_of` (a date outside that year shows its year)."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    first, resolution = clocks.first_response, clocks.resolution
    lines = [
        f"Opened {format_when(clocks.opened_at, zone, now=clocks.as_of)}; first response "
        f"target {_target_text(first)}, resolution target "
        f"{_target_text(resolution)} of business time",
        *_timeline_lines(clocks, zone),
    ]
    for clock in clocks.clocks:
        lines.extend(_clock_lines(clock, clocks.opened_at, clocks.as_of, zone))
    return lines


def counted_parts(segments: list[Segment], target: timedelta | None) -> list[int]:
    """The whole minutes each running segment shows, cut so they add up to the total shown
    for the clock they make up (`counted_minutes` against `target`): each part is the running
    total shown at its end less the one at its start, so no part is off by more than a
    minute and no minute is lost or counted twice between the parts."""
    parts: list[int] = []
    so_far, shown = _ZERO, 0
    for number, segment in enumerate(segments, start=1):
        so_far += segment.business
        total = counted_minutes(so_far, target) if number == len(segments) else minutes_of(so_far)
        parts.append(total - shown)
        shown = total
    return parts


def _timeline_lines(clocks: TicketClocks, zone: tzinfo) -> list[str]:
    """What counted and what did not, stretch by stretch; overnight gaps go unsaid. The
    running stretches add up to the resolution clock's count as shown (they are its life)."""
    now = clocks.as_of
    running = [s for s in clocks.timeline if s.kind == SegmentKind.RUNNING]
    parts = iter(counted_parts(running, clocks.resolution.target))
    lines: list[str] = []
    previous_end = clocks.opened_at
    for segment in clocks.timeline:
        if segment.start > previous_end:
            # Timeline gaps are the only times no clock ran: resolved until reopened.
            lines.append(
                f"Resolved {format_when(previous_end, zone, now=now)}, "
                f"reopened {format_when(segment.start, zone, now=now)}"
            )
        previous_end = segment.end
        span = _span(segment.start, segment.end, zone, now)
        day = _day(segment.start.astimezone(zone), now)
        if segment.kind == SegmentKind.RUNNING:
            why = f" ({segment.reason})" if segment.reason else ""
            lines.append(f"{span}: {format_minutes(next(parts))} counted{why}")
        elif segment.kind == SegmentKind.PAUSED:
            lines.append(
                f"Paused {span} (waiting on customer); "
                f"{format_duration(segment.business)} of business time not counted"
            )
        elif segment.reason == OUTSIDE_HOURS:
            continue
        elif segment.part_day:
            lines.append(f"{span}: closed ({segment.reason})")
        elif segment.reason in ("weekend", "not a working day"):
            lines.append(f"{day}: closed ({segment.reason})")
        elif segment.reason == "closure":
            lines.append(f"{day}: team closure, skipped")
        elif segment.reason not in (None, OUTSIDE_HOURS):
            lines.append(f"{day}: {segment.reason}, skipped")
    return lines


def _clock_lines(
    clock: ClockState, opened_at: datetime, as_of: datetime, zone: tzinfo
) -> list[str]:
    """Where one clock stands and the arithmetic behind its due time, breach and escalations:
    counted + left = target, and target + over = counted, as shown (`counted_minutes`)."""
    title = clock.name[0].upper() + clock.name[1:]
    counted = format_minutes(counted_minutes(clock.elapsed, clock.target))
    lines: list[str] = []
    if clock.stopped_at is not None:
        verb = "late" if clock.breached_at is not None else "met"
        line = f"{title} {verb} at {format_when(clock.stopped_at, zone, now=as_of)}"
        line += f" after {counted} of business time"
        if clock.target is not None:
            line += f" (target {format_duration(clock.target)})"
        lines.append(line)
    elif clock.target is None:
        lines.append(f"{title}: no target; {counted} counted so far")
    elif clock.paused and clock.breached_at is None:
        lines.append(
            f"{title} paused with {counted} counted, "
            f"{format_duration(clock.remaining or _ZERO, up=True)} left"
        )
    elif clock.breached_at is None and clock.due is not None:
        lines.append(_due_line(title, clock, opened_at, as_of, zone))
    if clock.breached_at is not None:
        over = clock.elapsed - clock.target if clock.target is not None else _ZERO
        lines.append(
            f"{title} breached at {format_when(clock.breached_at, zone, now=as_of)}"
            + (f" ({format_duration(over, up=True)} over)" if over > _ZERO else "")
        )
    for level, at in clock.escalations_due:
        verb = "Escalated" if at <= as_of else "Escalates"
        lines.append(f"{verb} to {level} at {format_when(at, zone, now=as_of)} ({clock.name})")
    return lines


def _due_line(
    title: str, clock: ClockState, opened_at: datetime, now: datetime, zone: tzinfo
) -> str:
    """ "First response due Fri 20 Nov 17:30 GMT = 09:30 + 8h business time"; a target used
    up at a closing is due at the next opening, with the stretch that used it up. What is
    left rounds up and what is counted down, so the two add up to the target as shown."""
    since = clock.running_since or opened_at
    fresh = since == opened_at
    amount = format_duration((clock.target if fresh else clock.remaining) or _ZERO, up=True)
    if fresh and isinstance(clock.rule, BusinessDays):
        amount = f"{clock.rule.text} ({amount}"
        counted = " business time)"
    elif fresh:
        counted = " business time"
    else:
        counted = f" business time ({format_duration(clock.elapsed)} already counted)"
    due = format_when(clock.due, zone, now=now)
    if clock.spent_at is not None and clock.spent_at != clock.due:
        # Nothing counts between the closing and the next opening: still within target.
        return (
            f"{title} due {due} \u2014 {amount}{counted}: "
            f"{_span(since, clock.spent_at, zone, now)}, then closed until then"
        )
    return f"{title} due {due} = {since.astimezone(zone):%H:%M} + {amount}{counted}"
