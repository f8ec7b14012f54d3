"""Charts drawn from known data (issue 13 item 3): the PNG decodes at the size Slack's preview
was designed for, and the figure says what it shows (title, axes, series, marks)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from matplotlib.colors import to_hex
from PIL import Image

from bot.insights import charts
from bot.insights.charts import (
    AttainmentChart,
    BalanceChart,
    BlockSeries,
    MonthAttainment,
)

TODAY = date(2026, 11, 20)


def _balance(blocks=None) -> BalanceChart:
    expired = BlockSeries(
        "#1 10h",
        date(2026, 8, 1),
        date(2026, 10, 30),
        Decimal(10),
        history=[
            (date(2026, 8, 1), Decimal(10)),
            (date(2026, 9, 4), Decimal("7.5")),
            (date(2026, 10, 30), Decimal("7.5")),
            (date(2026, 10, 30), Decimal(0)),
        ],
        forfeited=Decimal("7.5"),
    )
    live = BlockSeries(
        "#2 20h",
        date(2026, 10, 1),
        date(2026, 12, 30),
        Decimal(20),
        history=[(date(2026, 10, 1), Decimal(20)), (TODAY, Decimal(12))],
        projection=[(TODAY, Decimal(12)), (date(2026, 12, 10), Decimal(0))],
    )
    return BalanceChart(
        "acme",
        "Europe/London",
        "GBP",
        Decimal("90.00"),
        TODAY,
        [expired, live] if blocks is None else blocks,
    )


def _decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_the_balance_chart_decodes_at_the_preview_size():
    image = _decoded(charts.balance_png(_balance()))
    assert image.format == "PNG"
    assert image.size == charts.PIXELS == (960, 540)


def test_the_balance_chart_labels_blocks_marks_and_the_dashed_projection():
    figure = charts.balance_figure(_balance())
    (axes,) = figure.axes
    assert axes.get_title(loc="left") == "acme: hours remaining per block"
    assert axes.get_ylabel() == "Hours remaining"
    assert axes.get_xlabel() == "Date (Europe/London) · overage billed at 90.00 GBP/h"
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["#1 10h", "#2 20h", "bought", "expires", "projected"]
    lines = axes.get_lines()
    dashed = [line for line in lines if line.get_linestyle() == "--"]
    (projection,) = dashed
    # The projection goes from today's 12h to zero on the run-out day, in the block's colour.
    assert list(projection.get_ydata()) == [12.0, 12.0, 0.0]
    assert to_hex(projection.get_color()) == charts.OKABE_ITO[1].lower()
    bought = [line for line in lines if line.get_marker() == "^"]
    assert sorted(float(line.get_ydata()[0]) for line in bought) == [10.0, 20.0]
    expiries = [line for line in lines if line.get_marker() == "X"]
    # Expired #1 forfeited 7.5h; #2 is projected to run out, so ends at zero.
    assert sorted(float(line.get_ydata()[0]) for line in expiries) == [0.0, 7.5]


def test_colours_are_okabe_ito_and_a_chart_without_blocks_says_so():
    empty = charts.balance_figure(_balance(blocks=[]))
    texts = [t.get_text() for t in empty.axes[0].texts]
    assert "No hour blocks bought" in texts
    steps = [
        to_hex(line.get_color())
        for line in charts.balance_figure(_balance()).axes[0].get_lines()
        if line.get_linestyle() == "-" and line.get_marker() in ("None", "", None)
    ]
    assert steps and set(steps) <= {c.lower() for c in charts.OKABE_ITO}


def _attainment(goal: float | None = 0.9) -> AttainmentChart:
    ratios = [0.95, 0.8, None, 1.0, 0.9, 0.85, 0.92, 0.97, 0.6, None, 0.91, 0.93]
    months = [MonthAttainment(date(2026, m, 1), r) for m, r in enumerate(ratios, start=1)]
    words = "90% of first responses within 6h" if goal else None
    return AttainmentChart("acme", "Europe/London", goal, words, months)


def test_the_attainment_chart_decodes_at_the_preview_size():
    image = _decoded(charts.attainment_png(_attainment()))
    assert image.size == (960, 540)


def test_attainment_bars_against_the_goal_line_missed_months_hatched():
    (axes,) = charts.attainment_figure(_attainment()).axes
    assert axes.get_title(loc="left") == "acme: SLA attainment, last 12 months"
    assert axes.get_xlabel() == (
        "Month opened (Europe/London) · goal: 90% of first responses within 6h"
    )
    bars = axes.patches
    heights = [round(bar.get_height(), 6) for bar in bars]
    assert heights == [95, 80, 100, 90, 85, 92, 97, 60, 91, 93]  # two months had no tickets
    missed = [round(bar.get_height()) for bar in bars if bar.get_hatch()]
    assert missed == [80, 85, 60]  # below 90%: hatched, not told by colour alone
    (goal_line,) = [line for line in axes.get_lines() if line.get_ydata()[0] == 90]
    assert goal_line.get_linestyle() == "--"
    labels = [t.get_text() for t in axes.get_xticklabels()]
    assert labels[0] == "Jan\n2026" and labels[1:3] == ["Feb", "Mar"]
    assert sum(t.get_text() == "no\ntickets" for t in axes.texts) == 2


def test_a_plan_without_a_goal_draws_no_goal_line():
    (axes,) = charts.attainment_figure(_attainment(goal=None)).axes
    assert not axes.get_lines()
    assert not any(bar.get_hatch() for bar in axes.patches)
    assert axes.get_xlabel().endswith("the plan sets no goal")
