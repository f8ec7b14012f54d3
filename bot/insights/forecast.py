"""Forecasts, as pure arithmetic: no store, no Slack, no clock (today is an argument).

Three questions a manager asks before it is too late (issue 13; the arithmetic is explained
in docs/insights.md):

* hour blocks: at the customer's burn rate of billed time (the trailing 8 provider-calendar
  weeks), when does each live block run out, and how many hours will it forfeit at expiry?
* the SLA goal (seed 004, "90% within target"): the month's attainment so far, the error
  budget left (how many more misses before the goal is lost) and the projected month-end
  attainment;
* fair use (seed 000): which callers are projected to pass their allowance this month.

Arithmetic is exact (`Fraction` minutes); hours are given as `Decimal` rounded once, to the
hundredth, at the edge.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from bot.billing.blocks import TRAILING_WEEKS

WEEKS = TRAILING_WEEKS  # the trailing window of the burn rate
HUNDREDTH = Decimal("0.01")


def hours(minutes: Fraction | int) -> Decimal:
    """Minutes as hours, rounded half up to the hundredth (once, here)."""
    # minutes / 60 as one Decimal division: correctly rounded, like the reduced fraction's
    # (the same rational), without a Fraction built and reduced on the way (issue 11: a
    # sweep's forecasts call this thousands of times).
    if isinstance(minutes, int):
        numerator, denominator = minutes, 60
    else:
        numerator, denominator = minutes.numerator, minutes.denominator * 60
    return (Decimal(numerator) / Decimal(denominator)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def week_start(day: date) -> date:
    """The Monday of `day`'s provider-calendar week (dates are already provider-local)."""
    return day - timedelta(days=day.weekday())


# --- burn rate ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BurnRate:
    """Billed time per week over the trailing window: `weeks` whole provider-calendar weeks
    from `start` (a Monday) up to `end` (exclusive, this week's Monday). `weekly_minutes`
    lists each week's billed minutes, oldest first."""

    start: date
    end: date
    weekly_minutes: tuple[int, ...]

    @property
    def weeks(self) -> int:
        return len(self.weekly_minutes)

    @property
    def minutes_per_week(self) -> Fraction:
        if not self.weekly_minutes:
            return Fraction(0)
        return Fraction(sum(self.weekly_minutes), len(self.weekly_minutes))

    @property
    def minutes_per_day(self) -> Fraction:
        return self.minutes_per_week / 7

    @property
    def hours_per_week(self) -> Decimal:
        return hours(self.minutes_per_week)


def burn_rate(
    billed_by_day: Mapping[date, int], today: date, *, since: date | None = None
) -> BurnRate:
    """The average billed minutes per week over the `WEEKS` whole provider-calendar weeks
    before today's week (today's week is not over, so it would understate the rate).

    `billed_by_day` maps a provider-local work date to its billed minutes (days already
    rounded, sessions and charges included). `since` (the customer's first day, e.g. their
    first block's purchase) drops the window's weeks wholly before it, so a new customer's
    rate is not diluted by weeks they were not a customer; with no whole week yet, the rate
    is zero weeks (and zero minutes).
    """
    end = week_start(today)
    start = end - timedelta(weeks=WEEKS)
    if since is not None and week_start(since) > start:
        start = min(week_start(since), end)
    weeks = (end - start).days // 7
    totals = [0] * weeks
    for day, minutes in billed_by_day.items():
        if start <= day < end:
            totals[(day - start).days // 7] += minutes
    return BurnRate(start=start, end=end, weekly_minutes=tuple(totals))


# --- hour blocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveBlock:
    """A block with what it has left today (after today's billed time so far). Usable on
    provider-local days `purchased <= d < expires`, as in `bot.billing.blocks`."""

    id: str
    purchased: date
    expires: date
    remaining_minutes: int


@dataclass(frozen=True)
class BlockForecast:
    """One block's projection at the burn rate.

    `runs_out` is the day its last minute is projected to be used (None: it expires first,
    or nothing is burning); `forfeit_minutes` what is projected to be left at expiry.
    `series` is the projected hours left at the end of each day from today to the run-out
    day, or to the expiry date (whose value is what it forfeits), for a dashed line.
    """

    block: LiveBlock
    runs_out: date | None
    forfeit_minutes: Fraction
    series: tuple[tuple[date, Decimal], ...]

    @property
    def forfeit_hours(self) -> Decimal:
        return hours(self.forfeit_minutes)

    @property
    def ends(self) -> date:
        """Where the projection ends: the run-out day, else the expiry date."""
        return self.runs_out if self.runs_out is not None else self.block.expires

    def days_to_expiry(self, today: date) -> int:
        return (self.block.expires - today).days


@dataclass(frozen=True)
class BlocksForecast:
    """Every live block's projection, soonest expiry first, and when the last one runs out
    (None if some hours are projected to expire unused rather than run out)."""

    rate: BurnRate
    today: date
    blocks: tuple[BlockForecast, ...]

    @property
    def forfeit_minutes(self) -> Fraction:
        return sum((b.forfeit_minutes for b in self.blocks), Fraction(0))

    @property
    def forfeit_hours(self) -> Decimal:
        return hours(self.forfeit_minutes)

    @property
    def runs_out(self) -> date | None:
        """The day the last prepaid minute is projected to be used, if all are used."""
        if not self.blocks or any(b.runs_out is None for b in self.blocks):
            return None
        return max(b.runs_out for b in self.blocks if b.runs_out is not None)

    def for_block(self, block_id: str) -> BlockForecast:
        for forecast in self.blocks:
            if forecast.block.id == block_id:
                return forecast
        raise KeyError(block_id)


def forecast_blocks(
    blocks: Iterable[LiveBlock], rate: BurnRate | Fraction, today: date
) -> BlocksForecast:
    """Project each live block day by day from tomorrow at the burn rate (minutes per day,
    or a `BurnRate`): each day's minutes draw down the valid block that expires soonest (the
    ledger's rule), spilling into the next when one runs out; what no block covers is
    overage and not counted. Today's billed time is already in `remaining_minutes`.
    """
    per_day = rate.minutes_per_day if isinstance(rate, BurnRate) else Fraction(rate)
    if per_day < 0:
        raise ValueError("a burn rate cannot be negative")
    ordered = sorted(
        (b for b in blocks if b.expires > today and b.remaining_minutes > 0),
        key=lambda b: (b.expires, b.purchased, b.id),
    )
    left = {b.id: Fraction(b.remaining_minutes) for b in ordered}
    points: dict[str, list[tuple[date, Decimal]]] = {
        b.id: [(today, hours(left[b.id]))] for b in ordered
    }
    runs_out: dict[str, date] = {}
    last = max((b.expires for b in ordered), default=today)
    day = today + timedelta(days=1)
    while day < last and per_day > 0:
        need = per_day
        for block in ordered:
            if need == 0:
                break
            if not block.purchased <= day < block.expires or left[block.id] == 0:
                continue
            used = min(need, left[block.id])
            left[block.id] -= used
            need -= used
            if left[block.id] == 0:
                runs_out[block.id] = day
        for block in ordered:
            still_left = block.id not in runs_out or runs_out[block.id] == day
            if still_left and day < block.expires:
                points[block.id].append((day, hours(left[block.id])))
        if all(b.id in runs_out for b in ordered):
            break
        day += timedelta(days=1)
    forecasts = []
    for block in ordered:
        series = points[block.id]
        if block.id not in runs_out:
            # Days nobody projected (nothing burning): the line stays flat up to expiry.
            if series[-1][0] < block.expires - timedelta(days=1):
                series.append((block.expires - timedelta(days=1), hours(left[block.id])))
            series.append((block.expires, hours(left[block.id])))
        forecasts.append(
            BlockForecast(
                block=block,
                runs_out=runs_out.get(block.id),
                forfeit_minutes=Fraction(0) if block.id in runs_out else left[block.id],
                series=tuple(series),
            )
        )
    rate_value = rate if isinstance(rate, BurnRate) else BurnRate(today, today, ())
    return BlocksForecast(rate=rate_value, today=today, blocks=tuple(forecasts))


def at_forfeit_risk(
    forecast: BlockForecast, today: date, *, threshold_minutes: int, window_days: int = 30
) -> bool:
    """The `forfeit_risk` rule: the block is in its last `window_days` days and is projected
    to forfeit more than `threshold_minutes`."""
    return (
        0 <= forecast.days_to_expiry(today) <= window_days
        and forecast.forfeit_minutes > threshold_minutes
    )


# --- SLA error budget --------------------------------------------------------------------


@dataclass(frozen=True)
class SlaOutlook:
    """A month's SLA goal ("`goal` of first responses within target") so far and ahead.

    `within` and `missed` count the month's tickets already decided (answered, or already
    past the goal unanswered); `expected` is the month's projected ticket count. `budget`
    is how many more misses the month can take and still meet the goal if it ends with
    `expected` tickets (0: the next miss loses it; `lost`: it cannot be met any more).
    """

    goal: Fraction
    within: int
    missed: int
    expected: int
    budget: int
    lost: bool
    projected: Fraction | None  # month-end attainment at the observed within-rate

    @property
    def decided(self) -> int:
        return self.within + self.missed

    @property
    def attainment(self) -> Fraction | None:
        """The share within so far (None with nothing decided yet)."""
        return Fraction(self.within, self.decided) if self.decided else None

    @property
    def has_budget(self) -> bool:
        """Whether the month, at its expected count, can afford a miss at all."""
        return self.expected - math.ceil(self.goal * self.expected) >= 1

    @property
    def at_risk(self) -> bool:
        """The `sla_budget` rule: spent (or lost) or one miss left."""
        return self.lost or self.budget <= 1


def sla_outlook(
    *,
    goal: Fraction | Decimal | float | str,
    within: int,
    missed: int,
    open_tickets: int,
    day_of_month: int,
    days_in_month: int,
    earlier_months: Sequence[int] = (),
) -> SlaOutlook:
    """The error budget and month-end projection for a goal like 90% (seed 004).

    `open_tickets` opened this month are not yet decided; `day_of_month` is today's (1-based)
    and `earlier_months` gives how many tickets each recent month opened (counts are cheap to
    read; their clocks are not).

    Expected tickets this month: the month's pace so far (decided and open tickets scaled
    to the whole month), blended with the recent months' average as the month goes on (at
    day d of n, d/n of the pace and the rest of the average), never fewer than already seen.
    Budget: with N expected, the goal needs ceil(goal * N) within, so at most
    N - ceil(goal * N) misses; the budget is that less the misses so far (never negative).
    Projected attainment: the undecided tickets meet the goal at this month's observed rate
    (all within if nothing is decided yet).
    """
    share = _fraction(goal)
    if not 0 < share <= 1:
        raise ValueError(f"the goal must be in (0, 1], got {share}")
    if min(within, missed, open_tickets) < 0:
        raise ValueError("ticket counts cannot be negative")
    if not 1 <= day_of_month <= days_in_month:
        raise ValueError("day_of_month must be within the month")
    seen = within + missed + open_tickets
    pace = Fraction(seen * days_in_month, day_of_month)
    if earlier_months:
        average = Fraction(sum(earlier_months), len(earlier_months))
        elapsed = Fraction(day_of_month, days_in_month)
        pace = elapsed * pace + (1 - elapsed) * average
    expected = max(seen, math.ceil(pace))
    allowed = expected - math.ceil(share * expected)
    spare = allowed - missed
    rate = Fraction(within, within + missed) if within + missed else Fraction(1)
    projected = (within + (expected - within - missed) * rate) / expected if expected else None
    return SlaOutlook(
        goal=share,
        within=within,
        missed=missed,
        expected=expected,
        budget=max(spare, 0),
        lost=spare < 0,
        projected=projected,
    )


def _fraction(value: Fraction | Decimal | float | str) -> Fraction:
    # A float goal is read as written ("0.9"), not as its binary approximation.
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def attainment_after(outlook: SlaOutlook, more_misses: int) -> Fraction:
    """The month-end attainment if it ends with `expected` tickets and `more_misses` more
    misses, every other ticket within: what the budget is measured against."""
    total = outlook.expected
    return Fraction(total - outlook.missed - more_misses, total) if total else Fraction(1)


# --- fair use ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CallerOutlook:
    """A caller projected to pass the allowance this month at their pace so far."""

    caller: str
    seconds: int
    projected_seconds: Fraction
    passes_on: date | None  # projected day the allowance is passed (None: already over)
    already_over: bool
    projected_review: bool  # also projected past the review limit


def fair_use_outlook(
    seconds_by_caller: Mapping[str, int],
    *,
    allowance_seconds: int,
    review_seconds: int,
    today: date,
    days_in_month: int,
) -> list[CallerOutlook]:
    """Callers whose month, at their pace so far (seconds / days elapsed, today counted),
    is projected past the allowance by month end (strictly, as the rule is: 45:00 is still
    within), the most projected first. Callers already over are listed too."""
    day = today.day
    found = []
    for caller, seconds in seconds_by_caller.items():
        if seconds <= 0:
            continue
        per_day = Fraction(seconds, day)
        projected = per_day * days_in_month
        if projected <= allowance_seconds:
            continue
        over = seconds > allowance_seconds
        passes_on = None
        if not over:
            # The first whole day after today by whose end the pace passes the allowance.
            days = math.floor(Fraction(allowance_seconds) / per_day) + 1
            passes_on = today + timedelta(days=days - day)
        found.append(
            CallerOutlook(
                caller=caller,
                seconds=seconds,
                projected_seconds=projected,
                passes_on=passes_on,
                already_over=over,
                projected_review=projected > review_seconds,
            )
        )
    return sorted(found, key=lambda c: (-c.projected_seconds, c.caller))
