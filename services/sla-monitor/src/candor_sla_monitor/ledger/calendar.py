"""Business-hours calendars, free of I/O: when an agreement's clocks run, in UTC instants.

Hours are wall-clock times in the calendar's timezone, so a business day is an interval of
UTC instants that daylight saving may make shorter or longer. The day opens at the first
instant the wall clock reads ``start`` and closes at the first instant it reads ``end``:
inside a skipped hour (spring forward) that is the instant of the change; inside a repeated
hour (fall back) the first time the clock shows it. Public holidays close the whole day.

Every question is answered by walking local days (never minutes), so a deadline months
away costs a few hundred steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from candor_shared.contract import BusinessHours
from candor_shared.intervals import Interval, Window, merge

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A calendar that stays closed this many days in a row is taken to be never open: no
# weekly pattern and holiday list leaves a real calendar shut for a whole year.
_LONGEST_CLOSURE_DAYS = 366
_SECOND = timedelta(seconds=1)


@lru_cache(maxsize=64)
def _public_holidays(code: str) -> holiday_calendars.HolidayBase:
    """The holidays of ``"FR"`` or ``"DE-BY"`` (country, optionally a subdivision)."""
    country, _, subdivision = code.partition("-")
    return holiday_calendars.country_holidays(country, subdiv=subdivision or None)


def _first_reading(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first UTC instant at which the wall clock in ``zone`` reads ``wall`` or later on
    ``day``: the reading itself, or the moment of a daylight-saving jump over it."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first of a repeated time
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # ``wall`` does not exist that day: the clock jumped over it. With fold=1 the offset
    # after the jump applies and gives an instant before it; find the jump in between.
    earliest = local.replace(fold=1).astimezone(UTC)
    before, after = min(earliest, instant), max(earliest, instant)
    offset_after = instant.astimezone(zone).utcoffset()
    while after - before > _SECOND:
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after.replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When business hours are open; ``hours`` None: open around the clock."""

    hours: _Hours | None

    @classmethod
    def of(cls, hours: BusinessHours | None) -> BusinessCalendar:
        """The calendar of an agreement's business hours (None: open around the clock)."""
        if hours is None:
            return cls(None)
        return cls(
            _Hours(
                zone=ZoneInfo(hours.timezone),
                weekdays=frozenset(_WEEKDAYS.index(day) for day in hours.days),
                start=hours.start.replace(tzinfo=None),
                end=hours.end.replace(tzinfo=None),
                holidays=hours.holidays,
            )
        )

    @property
    def around_the_clock(self) -> bool:
        """Whether every instant is business time."""
        return self.hours is None

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` (timezone-aware) lies in business hours."""
        if self.hours is None:
            return True
        local_day = moment.astimezone(self.hours.zone).date()
        # The day before too: around a midnight that daylight saving moves, an instant of
        # one business day can read as the next day's date.
        for day in (local_day - timedelta(days=1), local_day):
            opening = self.hours.opening(day)
            if opening is not None and opening[0] <= moment < opening[1]:
                return True
        return False

    def open_intervals(self, window: Window) -> list[Interval]:
        """The business intervals inside ``window``, in UTC, in order, disjoint and closed."""
        if self.hours is None:
            return [Interval(window.start, window.end)]
        inside: list[Interval] = []
        for opens, closes in self.hours.openings_from(window.start):
            if opens >= window.end:
                break
            start, end = max(opens, window.start), min(closes, window.end)
            if start < end:
                inside.append(Interval(start, end))
        return merge(inside)

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants; zero when ``end`` is not after ``start``."""
        if end <= start:
            return timedelta(0)
        if self.hours is None:
            return end - start
        total = timedelta(0)
        for interval in self.open_intervals(Window(start, end)):
            assert interval.end is not None
            total += interval.end - interval.start
        return total

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of business time has elapsed since ``start``.

        Outside business hours the clock starts at the next opening (so a zero duration
        gives that opening); a duration ending exactly at a closing gives the closing.
        """
        if duration < timedelta(0):
            raise ValueError(f"a negative duration {duration} cannot be added")
        if self.hours is None:
            return start + duration
        remaining = duration
        for opens, closes in self.hours.openings_from(start):
            begin = max(opens, start)
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        raise AssertionError("unreachable: openings_from never ends")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class _Hours:
    """Weekly hours in a timezone, with public holidays closed all day."""

    zone: ZoneInfo
    weekdays: frozenset[int]
    start: time
    end: time
    holidays: str | None

    def opening(self, day: date) -> tuple[datetime, datetime] | None:
        """The business hours ``(opens, closes)`` of the local ``day``, in UTC, or None
        when the day is closed."""
        if day.weekday() not in self.weekdays:
            return None
        if self.holidays is not None and day in _public_holidays(self.holidays):
            return None
        opens = _first_reading(day, self.start, self.zone)
        # An end of 00:00 is the midnight that ends the day.
        closes = (
            _first_reading(day + timedelta(days=1), time(0), self.zone)
            if self.end == time(0)
            else _first_reading(day, self.end, self.zone)
        )
        if closes <= opens:
            return None
        return opens, closes

    def openings_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The business hours ``(opens, closes)`` that close after ``moment``, in order,
        without end.

        Raises ``ValueError`` when no day opens within a year: such a calendar is never open.
        """
        day = moment.astimezone(self.zone).date() - timedelta(days=1)
        closed_days = 0
        while True:
            opening = self.opening(day)
            day += timedelta(days=1)
            if opening is None:
                closed_days += 1
                if closed_days > _LONGEST_CLOSURE_DAYS:
                    raise ValueError("these business hours never open")
                continue
            closed_days = 0
            if opening[1] > moment:
                yield opening
