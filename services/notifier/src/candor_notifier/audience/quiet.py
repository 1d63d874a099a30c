"""Quiet hours: the wall-clock window, in the recipient's timezone, in which minor-impact
notices wait. Pure arithmetic, so that it can be checked without a clock."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta, tzinfo

QUIETED_IMPACTS = frozenset({"none", "minor"})
"""Impacts whose notices wait for the end of quiet hours; anything worse is sent at once."""


def quiet_until(*, now: datetime, timezone: str, start: time, end: time) -> datetime | None:
    """When the quiet hours that ``now`` falls in end (UTC), or None when ``now`` is outside
    them. ``end`` before ``start`` spans midnight (22:00 to 07:00); ``end`` itself is not
    quiet. An unknown timezone counts as UTC."""
    try:
        zone: tzinfo = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = now.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    if start < end:
        inside, ends_on = start <= wall < end, local.date()
    elif wall >= start:
        inside, ends_on = True, local.date() + timedelta(days=1)
    else:
        inside, ends_on = wall < end, local.date()
    if not inside:
        return None
    # A wall-clock end that a DST change skips or repeats is read as zoneinfo reads it
    # (fold 0); the result is never before now.
    until = datetime.combine(ends_on, end, tzinfo=zone).astimezone(UTC)
    return max(until, now.astimezone(UTC))
