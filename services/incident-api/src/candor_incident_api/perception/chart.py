"""The perception page's charts as SVG geometry, free of I/O.

Downtime: one horizontal bar each for the measured, declared and perceived downtime of the
month, on one scale from zero to a round figure above the largest. Score: the mean
"kept informed" answer on the form's 1-7 scale, the poor (up to 3) and good (from 5) parts
of the scale shaded, so that a reader sees at once which side of the line users are on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from candor_shared.contract.perception import KEPT_INFORMED_GOOD_FROM, KEPT_INFORMED_POOR_UP_TO

WIDTH = 640.0
LEFT, RIGHT, TOP = 190.0, 24.0, 8.0
ROW, BAR = 40.0, 24.0
AXIS = 28.0
SCORE_HEIGHT = 64.0
SCALE_MIN, SCALE_MAX = 1, 7

SERIES = (
    ("measured", "Measured (monitoring)"),
    ("declared", "Declared (incidents)"),
    ("perceived", "Perceived (users)"),
)


@dataclass(frozen=True, slots=True)
class DowntimeBar:
    """One bar; ``minutes`` None when there is no figure (nobody said how long it felt)."""

    name: str
    label: str
    minutes: float | None
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class AxisTick:
    """A labelled point of a horizontal axis: minutes, or a number of the 1-7 scale."""

    value: float
    x: float


@dataclass(frozen=True, slots=True)
class DowntimeChart:
    """Everything the template draws of the downtime chart, in SVG user units."""

    width: float
    height: float
    left: float
    right: float
    axis_y: float
    scale_minutes: float
    bars: list[DowntimeBar]
    ticks: list[AxisTick]


@dataclass(frozen=True, slots=True)
class ScoreChart:
    """The 1-7 scale: where each number sits, the two shaded parts, and the mean's mark."""

    width: float
    height: float
    left: float
    right: float
    line_y: float
    numbers: list[AxisTick]
    poor_to: float
    good_from: float
    mean: float | None
    mean_x: float | None


def round_scale(minutes: float) -> float:
    """The smallest of 1, 2 or 5 times a power of ten at or above ``minutes`` (at least 1)."""
    if minutes <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(minutes))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= minutes))


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 60


def downtime_chart(
    *, measured: timedelta, declared: timedelta, perceived: timedelta | None
) -> DowntimeChart:
    """The three bars on one scale."""
    figures = {
        "measured": _minutes(measured),
        "declared": _minutes(declared),
        "perceived": _minutes(perceived),
    }
    scale = round_scale(max((m for m in figures.values() if m is not None), default=0.0))
    right = WIDTH - RIGHT
    span = right - LEFT

    def x_of(minutes: float) -> float:
        return round(LEFT + min(minutes, scale) / scale * span, 2)

    bars = []
    for index, (name, label) in enumerate(SERIES):
        minutes = figures[name]
        y = TOP + index * ROW + (ROW - BAR) / 2
        bars.append(
            DowntimeBar(
                name=name,
                label=label,
                minutes=minutes,
                x=LEFT,
                y=y,
                width=0.0 if minutes is None else round(x_of(minutes) - LEFT, 2),
                height=BAR,
            )
        )
    axis_y = TOP + len(SERIES) * ROW
    ticks = [AxisTick(value=scale * share, x=x_of(scale * share)) for share in (0, 0.5, 1)]
    return DowntimeChart(
        width=WIDTH,
        height=axis_y + AXIS,
        left=LEFT,
        right=right,
        axis_y=axis_y,
        scale_minutes=scale,
        bars=bars,
        ticks=ticks,
    )


def score_chart(mean: float | None) -> ScoreChart:
    """The kept-informed scale with ``mean`` marked (no mark without answers)."""
    right = WIDTH - RIGHT
    span = right - LEFT

    def x_of(score: float) -> float:
        return round(LEFT + (score - SCALE_MIN) / (SCALE_MAX - SCALE_MIN) * span, 2)

    return ScoreChart(
        width=WIDTH,
        height=SCORE_HEIGHT,
        left=LEFT,
        right=right,
        line_y=SCORE_HEIGHT / 2,
        numbers=[AxisTick(value=n, x=x_of(n)) for n in range(SCALE_MIN, SCALE_MAX + 1)],
        poor_to=x_of(KEPT_INFORMED_POOR_UP_TO),
        good_from=x_of(KEPT_INFORMED_GOOD_FROM),
        mean=mean,
        mean_x=None if mean is None else x_of(min(max(mean, SCALE_MIN), SCALE_MAX)),
    )
