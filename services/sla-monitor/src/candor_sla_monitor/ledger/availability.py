"""Availability against an agreement, free of I/O: periods, weighted downtime, the zone.

Measured downtime is the union of alert intervals (see :mod:`.intervals`); declared downtime
weighs each outage by the share of downtime its impact counts for (``downtime_fraction`` of
the agreement), and where outages overlap the heaviest one counts, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from candor_shared.intervals import Interval, Window, clip, total_downtime

Zone = Literal["below", "within", "above"]
"""Where an availability figure falls: below adequate, within the zone of tolerance, or at
or above desired."""


@dataclass(frozen=True, slots=True)
class Weighted:
    """An interval that counts ``weight`` (0 to 1) of its length as downtime."""

    interval: Interval
    weight: float = 1.0


def measured_downtime(intervals: Iterable[Interval], window: Window) -> timedelta:
    """Time within ``window`` covered by at least one interval; overlaps counted once."""
    return total_downtime(intervals, window)


def weighted_downtime(intervals: Iterable[Weighted], window: Window) -> timedelta:
    """Downtime within ``window`` where each moment counts the largest weight covering it.

    With every weight 1 this equals :func:`measured_downtime`; it never exceeds it. One
    sweep over the sorted ends of the intervals, so a year of alerts costs ``n log n``,
    not a pass over every interval for each gap between two ends.
    """
    # (moment, +1 when an interval of that weight begins or -1 when it ends, weight)
    changes: list[tuple[datetime, int, float]] = []
    for item in intervals:
        weight = min(max(item.weight, 0.0), 1.0)
        if weight <= 0:
            continue
        for part in clip([item.interval], window):
            assert part.end is not None
            changes += ((part.start, 1, weight), (part.end, -1, weight))
    changes.sort(key=lambda change: change[0])
    # How many intervals of each weight cover the moment: agreements have a few weights.
    covering: dict[float, int] = {}
    total = timedelta(0)
    for index, (moment, step, weight) in enumerate(changes):
        covering[weight] = covering.get(weight, 0) + step
        if not covering[weight]:
            del covering[weight]
        following = changes[index + 1][0] if index + 1 < len(changes) else moment
        if following > moment and covering:
            total += (following - moment) * max(covering)
    return min(total, window.length)


def declared_downtime(
    outages: Iterable[tuple[Interval, str]],
    window: Window,
    fractions: Mapping[str, float] | None = None,
) -> timedelta:
    """Downtime declared by ``(interval, impact)`` outages, each impact counting its fraction
    (absent impacts count fully)."""
    fractions = fractions or {}
    return weighted_downtime(
        (Weighted(interval, fractions.get(impact, 1.0)) for interval, impact in outages), window
    )


def availability_percent(downtime: timedelta, period: timedelta) -> float:
    """``100 * (1 - downtime / period)``, clamped to [0, 100]."""
    if period <= timedelta(0):
        raise ValueError("a period of no length has no availability")
    share = downtime / period
    return 100.0 * (1.0 - min(max(share, 0.0), 1.0))


def calendar_month(moment: datetime, timezone: str) -> Window:
    """The calendar month holding ``moment`` in ``timezone``, as UTC instants.

    Month boundaries are local midnights on the 1st, so a month that crosses a daylight-
    saving change is an hour shorter or longer (743 or 745 hours in Europe/Paris).
    """
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    start = datetime(local.year, local.month, 1, tzinfo=zone)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    end = datetime(year, month, 1, tzinfo=zone)
    return Window(start.astimezone(UTC), end.astimezone(UTC))


def rolling(moment: datetime, days: int) -> Window:
    """The last ``days`` days up to ``moment``."""
    return Window(moment - timedelta(days=days), moment)


def current_period(
    moment: datetime, *, window: Literal["calendar_month", "rolling"], timezone: str, days: int
) -> Window:
    """The agreement's period holding ``moment``: its calendar month, or the rolling days."""
    if window == "calendar_month":
        return calendar_month(moment, timezone)
    return rolling(moment, days)


def zone_of(percent: float, adequate: float, desired: float | None) -> Zone:
    """Below ``adequate``; at or above ``desired`` (when there is one); else within."""
    if percent < adequate:
        return "below"
    if desired is not None and percent >= desired:
        return "above"
    return "within"
