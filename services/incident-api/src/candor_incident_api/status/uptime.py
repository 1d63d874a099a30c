"""Measured daily availability of a service, from its alerts' intervals, free of I/O.

A day is a UTC day. Its downtime is the time covered by at least one of the service's alert
intervals (overlapping alerts count once), and its availability the share of the day that
was not covered; today counts only up to now. Days before the service was first known (its
creation in the catalog, or an earlier alert monitoring reported) have no data: a bar of
100 % there would claim what nobody measured.

Percentages are rounded down to hundredths, so that any downtime at all shows below 100 %
and a figure never looks better than what was measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from candor_shared.intervals import Interval, Window, merge, total_downtime

DAYS = 90
"""How many days the status page's bars cover, today included."""

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DayAvailability:
    """One UTC day of a service: how long it was measured (a whole day, today until now;
    None: not measured) and how long of that it was down."""

    day: date
    measured: timedelta | None
    downtime: timedelta | None

    @property
    def percent(self) -> float | None:
        """Availability that day in percent, rounded down to hundredths; None: no data."""
        if self.measured is None or self.downtime is None:
            return None
        return percent_up(self.downtime, self.measured)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def first_day(now: datetime, *, days: int = DAYS) -> date:
    """The oldest day of the ``days`` UTC days that end with today."""
    return now.astimezone(UTC).date() - timedelta(days=days - 1)


def percent_up(downtime: timedelta, length: timedelta) -> float:
    """The share of ``length`` not down, in percent, rounded down to hundredths."""
    up = max(length - downtime, timedelta(0))
    return (up * 10_000 // length) / 100


def daily_availability(
    intervals: Sequence[Interval],
    *,
    known_since: datetime,
    now: datetime,
    days: int = DAYS,
) -> list[DayAvailability]:
    """The last ``days`` UTC days up to today, oldest first, each with its availability.

    ``intervals`` may overlap and may be open (still down: until now). Days before the day
    of ``known_since`` (or before an earlier interval's start) and a today that has not
    begun yet have no data.
    """
    now = now.astimezone(UTC)
    closed = merge(
        Interval(i.start, now if i.end is None else min(i.end, now))
        for i in intervals
        if i.start < now
    )
    measured_from = min([known_since, *(i.start for i in closed)]).astimezone(UTC).date()
    result: list[DayAvailability] = []
    for offset in range(days):
        day = first_day(now, days=days) + timedelta(days=offset)
        start = day_start(day)
        end = min(start + _DAY, now)
        if day < measured_from or end <= start:
            result.append(DayAvailability(day, None, None))
            continue
        window = Window(start, end)
        result.append(DayAvailability(day, window.length, total_downtime(closed, window)))
    return result


def overall_percent(days: Sequence[DayAvailability]) -> float | None:
    """Availability over the measured days together, each weighed by how long it was
    measured; None when no day was."""
    measured = timedelta(0)
    downtime = timedelta(0)
    for day in days:
        if day.measured is not None and day.downtime is not None:
            measured += day.measured
            downtime += day.downtime
    return percent_up(downtime, measured) if measured > timedelta(0) else None
