"""Availability arithmetic on half-open time intervals ``[start, end)``, free of I/O.

Shared because two services measure downtime the same way: sla-monitor's availability
ledger, and incident-api's status page (each service's daily availability from its alerts).

An interval whose ``end`` is None is still open: it lasts until the end of whatever window
it is measured in. An interval whose end is not after its start is empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Interval:
    """A stretch of time ``[start, end)``; ``end`` None means it has not ended yet."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """The period ``[start, end)`` a question about downtime is asked over."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"window end {self.end} is not after its start {self.start}")

    @property
    def length(self) -> timedelta:
        """How long the window lasts."""
        return self.end - self.start


def clip(intervals: Iterable[Interval], window: Window) -> list[Interval]:
    """The non-empty parts of ``intervals`` inside ``window``; open intervals end with it."""
    clipped: list[Interval] = []
    for interval in intervals:
        start = max(interval.start, window.start)
        end = window.end if interval.end is None else min(interval.end, window.end)
        if start < end:
            clipped.append(Interval(start, end))
    return clipped


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of closed ``intervals`` as sorted, disjoint, non-touching, non-empty intervals.

    Raises ``ValueError`` for an open interval: clip it to a window first.
    """
    return [Interval(start, end) for start, end in _union(intervals)]


def measure(intervals: Iterable[Interval]) -> timedelta:
    """The total length of the union of closed ``intervals`` (overlaps counted once)."""
    return sum((end - start for start, end in _union(intervals)), timedelta(0))


def total_downtime(intervals: Iterable[Interval], window: Window) -> timedelta:
    """Time within ``window`` covered by at least one of ``intervals``; at most its length."""
    return measure(clip(intervals, window))


def _union(intervals: Iterable[Interval]) -> list[tuple[datetime, datetime]]:
    closed: list[tuple[datetime, datetime]] = []
    for interval in intervals:
        if interval.end is None:
            raise ValueError("an open interval has no length; clip it to a window first")
        if interval.start < interval.end:
            closed.append((interval.start, interval.end))
    closed.sort()
    union: list[tuple[datetime, datetime]] = []
    for start, end in closed:
        if union and start <= union[-1][1]:
            # Overlapping or touching the previous one: extend it.
            union[-1] = (union[-1][0], max(union[-1][1], end))
        else:
            union.append((start, end))
    return union
