"""Charts as PNG bytes, drawn from plain data (issue 13 item 3): no database, no Slack.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, so no global figure state
and no display; safe in the after-ack threads). Sized for Slack's preview (960 x 540 px, large
type), in the Okabe-Ito palette, which stays distinct for the common colour-vision
deficiencies; each series also differs by marker or hatch, so nothing is told by colour alone.
Dates are the provider's calendar days; the axis names the timezone, and the balance chart
the currency its overage is billed in.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

# Okabe & Ito (2008), "Color Universal Design": black first is left out (it is the ink).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
INK, GRID, MET, MISSED = "#222222", "#D9D9D9", "#009E73", "#D55E00"
# Slack shows an image at up to ~360 px tall in the timeline; 960 x 540 keeps 16:9 and, with
# 13 pt type at 120 dpi, stays legible when scaled down to that preview.
SIZE_INCHES, DPI = (8.0, 4.5), 120
PIXELS = (int(SIZE_INCHES[0] * DPI), int(SIZE_INCHES[1] * DPI))
FONT_SIZE = 13

Point = tuple[date, Decimal]  # a day and the hours left at its end


@dataclass(frozen=True)
class BlockSeries:
    """One hour block: its history and, for a live block, the projection to its end."""

    label: str  # e.g. "#3 10h"
    purchased: date
    expires: date
    hours: Decimal
    history: Sequence[Point]  # from purchase to today (or expiry), one point per change
    projection: Sequence[Point] = ()  # dashed: from today to run-out or expiry
    forfeited: Decimal = Decimal(0)  # hours lost at expiry (an expired block)


@dataclass(frozen=True)
class BalanceChart:
    customer: str
    timezone: str  # the provider's, e.g. "Europe/London"
    currency: str
    hourly_rate: Decimal
    today: date
    blocks: Sequence[BlockSeries]


@dataclass(frozen=True)
class MonthAttainment:
    month: date  # its first day
    ratio: float | None  # share of first responses within the goal; None: no tickets
    tickets: int = 0


@dataclass(frozen=True)
class AttainmentChart:
    customer: str
    timezone: str
    goal_share: float | None  # e.g. 0.9; None when the plan sets no goal
    goal: str | None  # the goal in words, e.g. "90% of first responses within 6h"
    months: Sequence[MonthAttainment] = field(default_factory=tuple)


def balance_figure(chart: BalanceChart) -> Figure:
    """Hours remaining per block over time: a step per drawdown, ▲ at purchase, ✕ at expiry,
    the projection dashed to run-out (or to expiry, where what is left is forfeited)."""
    figure, axes = _canvas()
    axes.set_title(f"{chart.customer}: hours remaining per block", loc="left", fontweight="bold")
    for index, block in enumerate(chart.blocks):
        colour = OKABE_ITO[index % len(OKABE_ITO)]
        _draw_block(axes, block, colour)
    axes.axvline(_num(chart.today), color=INK, linewidth=1, linestyle=":", zorder=1)
    axes.annotate(
        "today",
        (_num(chart.today), 0),
        xycoords=("data", "axes fraction"),
        xytext=(3, 4),
        textcoords="offset points",
        fontsize=FONT_SIZE - 2,
        color=INK,
    )
    axes.set_ylabel("Hours remaining")
    axes.set_ylim(bottom=0, top=max([float(b.hours) for b in chart.blocks] + [1.0]) * 1.12)
    axes.set_xlabel(
        f"Date ({chart.timezone}) · overage billed at {chart.hourly_rate:.2f} {chart.currency}/h"
    )
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if not chart.blocks:
        axes.text(
            0.5, 0.5, "No hour blocks bought", transform=axes.transAxes, ha="center", va="center"
        )
        axes.set_xlim(_num(chart.today) - 30, _num(chart.today) + 30)
    handles = [
        Line2D([], [], color=OKABE_ITO[i % len(OKABE_ITO)], linewidth=2.5, label=b.label)
        for i, b in enumerate(chart.blocks)
    ] + _mark_handles()
    axes.legend(handles=handles, loc="best", fontsize=FONT_SIZE - 3, ncols=2, framealpha=0.9)
    return figure


def _draw_block(axes: Axes, block: BlockSeries, colour: str) -> None:
    days = [_num(day) for day, _ in block.history]
    hours = [float(left) for _, left in block.history]
    if days:
        axes.step(days, hours, where="post", color=colour, linewidth=2.5, zorder=3)
    if block.projection:
        start = [(days[-1], hours[-1])] if days else []
        points = start + [(_num(d), float(h)) for d, h in block.projection]
        axes.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            color=colour,
            linewidth=2.5,
            linestyle=(0, (5, 3)),
            zorder=3,
        )
    axes.plot(
        [_num(block.purchased)], [float(block.hours)], marker="^", markersize=10, color=colour
    )
    ended = block.projection[-1][1] if block.projection else (hours[-1] if hours else 0)
    at_expiry = float(block.forfeited) if block.forfeited else float(ended)
    axes.plot(
        [_num(block.expires)],
        [at_expiry],
        marker="X",
        markersize=11,
        color=colour,
        markeredgecolor=INK,
        zorder=4,
    )


def _mark_handles() -> list[Line2D]:
    grey = "#777777"
    return [
        Line2D([], [], color=grey, marker="^", linestyle="none", markersize=9, label="bought"),
        Line2D([], [], color=grey, marker="X", linestyle="none", markersize=9, label="expires"),
        Line2D([], [], color=grey, linestyle=(0, (5, 3)), linewidth=2, label="projected"),
    ]


def attainment_figure(chart: AttainmentChart) -> Figure:
    """Each month's share of first responses within the goal, as bars against the goal line;
    a missed month is vermillion and hatched, a met one green and plain."""
    figure, axes = _canvas()
    axes.set_title(
        f"{chart.customer}: SLA attainment, last {len(chart.months)} months",
        loc="left",
        fontweight="bold",
    )
    positions = list(range(len(chart.months)))
    goal = chart.goal_share
    for position, month in zip(positions, chart.months, strict=True):
        if month.ratio is None:
            axes.text(
                position,
                2,
                "no\ntickets",
                ha="center",
                va="bottom",
                color="#555555",
                fontsize=FONT_SIZE - 4,
            )
            continue
        missed = goal is not None and month.ratio < goal
        axes.bar(
            position,
            month.ratio * 100,
            width=0.7,
            color=MISSED if missed else (MET if goal is not None else OKABE_ITO[0]),
            hatch="//" if missed else None,
            edgecolor=INK if missed else MET,
            linewidth=0.8,
            zorder=3,
        )
    handles: list[Line2D | Patch] = []
    if goal is not None:
        handles += [
            Patch(facecolor=MET, edgecolor=MET, label="goal met"),
            Patch(facecolor=MISSED, edgecolor=INK, hatch="//", label="goal missed"),
        ]
        axes.axhline(goal * 100, color=INK, linewidth=2, linestyle=(0, (6, 3)), zorder=4)
        handles.append(
            Line2D([], [], color=INK, linewidth=2, linestyle=(0, (6, 3)), label=f"goal {goal:.0%}")
        )
    axes.set_xticks(positions, [_month_label(m.month, i) for i, m in enumerate(chart.months)])
    axes.set_ylim(0, 105)
    axes.set_ylabel("Within goal (%)")
    axes.set_xlabel(
        f"Month opened ({chart.timezone})"
        + (f" · goal: {chart.goal}" if chart.goal else " · the plan sets no goal")
    )
    if handles:  # under the axes: never over a bar, a "no tickets" or the title
        figure.legend(
            handles=handles,
            loc="outside lower center",
            fontsize=FONT_SIZE - 3,
            ncols=3,
            frameon=False,
        )
    return figure


def _month_label(month: date, index: int) -> str:
    """`Jan` under each bar, with the year under January and the first bar."""
    return f"{month:%b}\n{month:%Y}" if index == 0 or month.month == 1 else f"{month:%b}"


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes, at exactly PIXELS."""
    out = io.BytesIO()
    FigureCanvasAgg(figure).print_png(out)
    return out.getvalue()


def balance_png(chart: BalanceChart) -> bytes:
    return png(balance_figure(chart))


def attainment_png(chart: AttainmentChart) -> bytes:
    return png(attainment_figure(chart))


def _canvas() -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.grid(True, color=GRID, linewidth=0.8, zorder=0)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=FONT_SIZE - 2)
    axes.xaxis.label.set_fontsize(FONT_SIZE - 1)
    axes.yaxis.label.set_fontsize(FONT_SIZE - 1)
    axes.title.set_fontsize(FONT_SIZE + 1)
    return figure, axes


def _num(day: date) -> float:
    return float(mdates.date2num(day))
