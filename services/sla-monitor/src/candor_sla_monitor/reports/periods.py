"""Report periods: calendar months named ``YYYY-MM`` in an agreement's timezone, and their
local days, free of I/O."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from candor_shared.intervals import Window
from candor_sla_monitor.ledger.availability import calendar_month

PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class BadPeriod(ValueError):
    """Not a month Candor can report on (``YYYY-MM``, years 1971 to 9998)."""


def _year_month(period: str) -> tuple[int, int]:
    found = PERIOD_PATTERN.match(period)
    if found is None:
        raise BadPeriod(f"period {period!r}: a month as YYYY-MM, such as 2026-03")
    year, month = int(found[1]), int(found[2])
    if not 1971 <= year <= 9998:
        raise BadPeriod(f"period {period!r}: a year between 1971 and 9998")
    return year, month


def month_window(period: str, timezone: str) -> Window:
    """The month ``YYYY-MM`` in ``timezone`` as UTC instants (local midnights on the 1st)."""
    year, month = _year_month(period)
    # Noon of the 1st is inside the month whatever daylight saving does to its midnight.
    return calendar_month(datetime(year, month, 1, 12, tzinfo=ZoneInfo(timezone)), timezone)


def period_of(moment: datetime, timezone: str) -> str:
    """The ``YYYY-MM`` holding ``moment`` in ``timezone``."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.year:04d}-{local.month:02d}"


def next_period(period: str) -> str:
    """The month after ``period``."""
    year, month = _year_month(period)
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}"


def local_days(window: Window, timezone: str) -> list[tuple[date, Window]]:
    """The local days of ``timezone`` that ``window`` touches, each cut to ``window``.

    A day runs from one local midnight to the next, so it lasts 23 or 25 hours on a
    daylight-saving change.
    """
    zone = ZoneInfo(timezone)
    days: list[tuple[date, Window]] = []
    day = window.start.astimezone(zone).date()
    while True:
        start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        following = day + timedelta(days=1)
        end = datetime(following.year, following.month, following.day, tzinfo=zone)
        cut_start, cut_end = max(start, window.start), min(end.astimezone(UTC), window.end)
        if cut_start >= window.end:
            return days
        if cut_start < cut_end:
            days.append((day, Window(cut_start, cut_end)))
        day = following
