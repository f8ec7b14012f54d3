"""Ticket clocks in words: business-time durations, instants in a calendar's zone, subjects made
safe for Slack, and the `/ticket why` explanation of how each clock got where it is.

Pure: it reads derived clocks and their timeline, never the store.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.calendar.business_days import BusinessDays
from bot.sla.clocks import ClockState, TicketClocks
from bot.sla.timeline import OUTSIDE_HOURS, SegmentKind

_DASH = "\u2013"  # en dash, for time ranges in explanations
_ZERO = timedelta(0)
_SECOND = timedelta(seconds=1)


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


def format_when(at: datetime | None, zone: tzinfo) -> str:
    """An instant as people read it in `zone`: "Mon 23 Nov 09:00 GMT"; "—" for none."""
    if at is None:
        return "—"
    local = at.astimezone(zone)
    return f"{_day(local)} {local:%H:%M %Z}"


def escape(text: str) -> str:
    """Slack mrkdwn control characters, so a subject like `<!channel>` pings nobody."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _day(at: datetime) -> str:
    return f"{at:%a} {at.day} {at:%b}"


def _span(start: datetime, end: datetime, zone: tzinfo) -> str:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() == local_end.date():
        return f"{_day(local_start)} {local_start:%H:%M}{_DASH}{local_end:%H:%M}"
    if local_end.time() == datetime.min.time() and local_end - local_start <= timedelta(days=1):
        return f"{_day(local_start)} {local_start:%H:%M}{_DASH}24:00"
    return f"{_day(local_start)} {local_start:%H:%M} {_DASH} {_day(local_end)} {local_end:%H:%M}"


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
    """Human-readable lines explaining how the clocks got where they are, in time zone `tz`."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    first, resolution = clocks.first_response, clocks.resolution
    lines = [
        f"Opened {format_when(clocks.opened_at, zone)}; first response target "
        f"{_target_text(first)}, resolution target "
        f"{_target_text(resolution)} of business time",
        *_timeline_lines(clocks, zone),
    ]
    for clock in clocks.clocks:
        lines.extend(_clock_lines(clock, clocks.opened_at, clocks.as_of, zone))
    return lines


def _timeline_lines(clocks: TicketClocks, zone: tzinfo) -> list[str]:
    """What counted and what did not, stretch by stretch; overnight gaps go unsaid."""
    lines: list[str] = []
    previous_end = clocks.opened_at
    for segment in clocks.timeline:
        if segment.start > previous_end:
            # Timeline gaps are the only times no clock ran: resolved until reopened.
            lines.append(
                f"Resolved {format_when(previous_end, zone)}, "
                f"reopened {format_when(segment.start, zone)}"
            )
        previous_end = segment.end
        if segment.kind == SegmentKind.RUNNING:
            span = _span(segment.start, segment.end, zone)
            why = f" ({segment.reason})" if segment.reason else ""
            lines.append(f"{span}: {format_duration(segment.business)} counted{why}")
        elif segment.kind == SegmentKind.PAUSED:
            lines.append(
                f"Paused {_span(segment.start, segment.end, zone)} (waiting on customer); "
                f"{format_duration(segment.business)} of business time not counted"
            )
        elif segment.reason == OUTSIDE_HOURS:
            continue
        elif segment.part_day:
            lines.append(f"{_span(segment.start, segment.end, zone)}: closed ({segment.reason})")
        elif segment.reason in ("weekend", "not a working day"):
            lines.append(f"{_day(segment.start.astimezone(zone))}: closed ({segment.reason})")
        elif segment.reason == "closure":
            lines.append(f"{_day(segment.start.astimezone(zone))}: team closure, skipped")
        elif segment.reason not in (None, OUTSIDE_HOURS):
            lines.append(f"{_day(segment.start.astimezone(zone))}: {segment.reason}, skipped")
    return lines


def _clock_lines(
    clock: ClockState, opened_at: datetime, as_of: datetime, zone: tzinfo
) -> list[str]:
    """Where one clock stands and the arithmetic behind its due time, breach and escalations."""
    title = clock.name[0].upper() + clock.name[1:]
    lines: list[str] = []
    if clock.stopped_at is not None:
        verb = "late" if clock.breached_at is not None else "met"
        line = f"{title} {verb} at {format_when(clock.stopped_at, zone)}"
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
        lines.append(_due_line(title, clock, opened_at, zone))
    if clock.breached_at is not None:
        over = clock.elapsed - clock.target if clock.target is not None else _ZERO
        lines.append(
            f"{title} breached at {format_when(clock.breached_at, zone)}"
            + (f" ({format_duration(over)} over)" if over >= _SECOND else "")
        )
    for level, at in clock.escalations_due:
        verb = "Escalated" if at <= as_of else "Escalates"
        lines.append(f"{verb} to {level} at {format_when(at, zone)} ({clock.name})")
    return lines


def _due_line(title: str, clock: ClockState, opened_at: datetime, zone: tzinfo) -> str:
    """ "First response due Fri 20 Nov 17:30 GMT = 09:30 + 8h business time"; a target used
    up at a closing is due at the next opening, with the stretch that used it up."""
    since = clock.running_since or opened_at
    fresh = since == opened_at
    amount = format_duration((clock.target if fresh else clock.remaining) or _ZERO)
    if fresh and isinstance(clock.rule, BusinessDays):
        amount = f"{clock.rule.text} ({amount}"
        counted = " business time)"
    elif fresh:
        counted = " business time"
    else:
        counted = f" business time ({format_duration(clock.elapsed)} already counted)"
    due = format_when(clock.due, zone)
    if clock.spent_at is not None and clock.spent_at != clock.due:
        # Nothing counts between the closing and the next opening: still within target.
        return (
            f"{title} due {due} \u2014 {amount}{counted}: {_span(since, clock.spent_at, zone)}"
            ", then closed until then"
        )
    return f"{title} due {due} = {since.astimezone(zone):%H:%M} + {amount}{counted}"
