"""Durations on the wire: ISO 8601 as RFC 3339 (appendix A) spells them.

pydantic writes a year as ``Y`` (``P1Y35D`` for 400 days), which RFC 3339's grammar refuses
(after years only months may follow) and which is ambiguous besides (how long is a year?).
Candor writes days, hours, minutes and seconds only: ``P400D``, ``PT1H30M``, ``P1DT1.5S``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import PlainSerializer


def iso_duration(value: timedelta) -> str:
    """``value`` as an RFC 3339 duration in days and time (``-`` in front when negative)."""
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    days = value.days
    seconds = value.seconds
    micros = value.microseconds
    hours, rest = divmod(seconds, 3600)
    minutes, whole = divmod(rest, 60)
    time = ""
    if hours:
        time += f"{hours}H"
    if minutes:
        time += f"{minutes}M"
    if whole or micros:
        second = f"{whole}.{micros:06d}".rstrip("0") if micros else str(whole)
        time += f"{second}S"
    date = f"{days}D" if days else ""
    if not date and not time:
        return "PT0S"
    return f"{sign}P{date}{'T' + time if time else ''}"


IsoDuration = Annotated[timedelta, PlainSerializer(iso_duration, return_type=str, when_used="json")]
"""A timedelta written as an RFC 3339 duration in JSON (read as pydantic reads any)."""
