"""The report page's chart of daily availability, as SVG geometry, free of I/O.

One bar per local day, rising from the chart's floor to the day's availability; two
horizontal lines at the adequate and desired levels, the zone of tolerance shaded between
them. The floor is the largest of a few round figures below every value shown, so that
the difference between 99.5 % and 100 % stays visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from candor_shared.contract.sla import DailyAvailability

FLOORS = (99.9, 99.5, 99.0, 98.0, 95.0, 90.0, 80.0, 50.0, 0.0)
WIDTH, HEIGHT = 720.0, 260.0
LEFT, RIGHT, TOP, BOTTOM = 56.0, 12.0, 12.0, 28.0
MIN_TICK_GAP = 12.0


@dataclass(frozen=True, slots=True)
class Bar:
    """One day's bar; ``y`` is its top (SVG's y grows downwards)."""

    day: date
    percent: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Level:
    """A horizontal line at an agreed level (``adequate`` or ``desired``)."""

    name: str
    percent: float
    y: float


@dataclass(frozen=True, slots=True)
class Tick:
    """A labelled percentage on the vertical axis."""

    percent: float
    y: float


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything the template draws, in SVG user units."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    floor: float
    bars: list[Bar]
    levels: list[Level]
    ticks: list[Tick]
    zone_top: float | None
    zone_bottom: float | None


def floor_for(values: Sequence[float]) -> float:
    """The largest round floor strictly below every value (0 if one is 0)."""
    lowest = min(values, default=100.0)
    return next((floor for floor in FLOORS if floor < lowest), 0.0)


def daily_chart(
    daily: Sequence[DailyAvailability], *, adequate: float | None, desired: float | None
) -> Chart:
    """The chart of ``daily`` against the two levels (either may be absent)."""
    levels_given = [(name, p) for name, p in (("adequate", adequate), ("desired", desired)) if p]
    floor = floor_for([d.percent for d in daily] + [p for _, p in levels_given])
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_height

    def y_of(percent: float) -> float:
        share = (min(max(percent, floor), 100.0) - floor) / (100.0 - floor)
        return round(bottom - share * plot_height, 2)

    slot = plot_width / max(len(daily), 1)
    bars = [
        Bar(
            day=item.day,
            percent=item.percent,
            x=round(LEFT + index * slot + slot * 0.1, 2),
            y=y_of(item.percent),
            width=round(slot * 0.8, 2),
            height=round(bottom - y_of(item.percent), 2),
        )
        for index, item in enumerate(daily)
    ]
    levels = [Level(name=name, percent=p, y=y_of(p)) for name, p in levels_given]
    zone_top = zone_bottom = None
    if adequate and desired:
        zone_top, zone_bottom = y_of(desired), y_of(adequate)
    # Labels closer than a line of text to one already kept would overlap: the top, the
    # floor, then the levels, in that order, keep their place.
    ticks: list[Tick] = []
    for percent in (100.0, floor, *(p for _, p in levels_given)):
        y = y_of(percent)
        if all(abs(y - tick.y) >= MIN_TICK_GAP for tick in ticks):
            ticks.append(Tick(percent=percent, y=y))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=bottom,
        floor=floor,
        bars=bars,
        levels=levels,
        ticks=sorted(ticks, key=lambda tick: tick.y),
        zone_top=zone_top,
        zone_bottom=zone_bottom,
    )
