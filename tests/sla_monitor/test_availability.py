"""Availability against an agreement: weighted downtime, calendar months, the zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor_shared.intervals import Interval, Window
from candor_sla_monitor.ledger.availability import (
    Weighted,
    availability_percent,
    calendar_month,
    current_period,
    declared_downtime,
    measured_downtime,
    weighted_downtime,
    zone_of,
)

EPOCH = datetime(2026, 3, 2, tzinfo=UTC)
HORIZON = 6 * 60  # minutes: small ranges, so that a minute-by-minute count stays cheap
HOUR = timedelta(hours=1)


def minute(n: int) -> datetime:
    return EPOCH + timedelta(minutes=n)


@st.composite
def intervals(draw: st.DrawFn) -> Interval:
    """Minute-aligned intervals, some empty or reversed, some still open."""
    start = draw(st.integers(-30, HORIZON))
    if draw(st.integers(0, 4)) == 0:
        return Interval(minute(start))
    return Interval(minute(start), minute(draw(st.integers(start - 10, start + 120))))


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start = draw(st.integers(-30, HORIZON))
    return Window(minute(start), minute(draw(st.integers(start + 1, HORIZON + 60))))


# Quarters, so that every sum of weighted minutes is exact in binary floating point.
weights = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])
weighted_lists = st.lists(st.builds(Weighted, intervals(), weights), max_size=15)


def covers(interval: Interval, moment: datetime) -> bool:
    return interval.start <= moment and (interval.end is None or moment < interval.end)


def brute_force(items: list[Weighted], window: Window) -> timedelta:
    """Sum over the window's minutes of the heaviest weight covering each."""
    total = timedelta(0)
    moment = window.start
    while moment < window.end:
        total += timedelta(minutes=1) * max(
            (item.weight for item in items if covers(item.interval, moment)), default=0.0
        )
        moment += timedelta(minutes=1)
    return total


@given(weighted_lists, windows())
def test_weighted_downtime_equals_the_minute_by_minute_count(
    items: list[Weighted], window: Window
) -> None:
    assert weighted_downtime(items, window) == brute_force(items, window)


@given(st.lists(intervals(), max_size=15), windows())
def test_merged_downtime_never_exceeds_the_period_and_equals_the_minute_count(
    items: list[Interval], window: Window
) -> None:
    downtime = measured_downtime(items, window)

    assert timedelta(0) <= downtime <= window.length
    assert downtime == brute_force([Weighted(item) for item in items], window)
    assert weighted_downtime([Weighted(item) for item in items], window) == downtime
    assert 0.0 <= availability_percent(downtime, window.length) <= 100.0


@given(weighted_lists, windows())
def test_weighting_never_counts_more_than_the_alerts_union(
    items: list[Weighted], window: Window
) -> None:
    weighted = weighted_downtime(items, window)

    assert weighted <= measured_downtime([item.interval for item in items], window)


def test_overlapping_outages_count_the_heaviest_impact_once() -> None:
    window = Window(minute(0), minute(600))
    outages = [
        (Interval(minute(60), minute(180)), "minor"),  # 120 min at 0.25
        (Interval(minute(120), minute(150)), "major"),  # inside it, counts fully
    ]

    # 60..120 minor (15 min), 120..150 major (30), 150..180 minor (7.5): 52.5 minutes.
    assert declared_downtime(outages, window, {"minor": 0.25}) == timedelta(minutes=52.5)
    assert declared_downtime(outages, window) == timedelta(minutes=120)


@pytest.mark.parametrize(
    ("moment", "hours"),
    [
        ("2026-03-15T12:00:00+00:00", 743),  # summer time begins on 29 March
        ("2026-10-15T12:00:00+00:00", 745),  # and ends on 25 October
        ("2026-02-15T12:00:00+00:00", 28 * 24),
        ("2026-12-31T23:30:00+00:00", 31 * 24),  # already 1 January in Paris
    ],
)
def test_paris_months_across_daylight_saving_changes(moment: str, hours: int) -> None:
    month = calendar_month(datetime.fromisoformat(moment), "Europe/Paris")

    assert month.length == hours * HOUR
    assert month.start.astimezone(ZoneInfo("Europe/Paris")).time().hour == 0


def test_a_month_begins_at_local_midnight_on_the_first() -> None:
    month = calendar_month(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "Europe/Paris")

    assert month.start == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # 1 January, 00:00 CET
    assert month.end == datetime(2027, 1, 31, 23, 0, tzinfo=UTC)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(["Europe/Paris", "America/New_York", "Australia/Sydney", "UTC"]),
)
def test_calendar_months_hold_the_moment_and_tile_the_timeline(
    moment: datetime, timezone: str
) -> None:
    month = calendar_month(moment, timezone)
    zone = ZoneInfo(timezone)

    assert month.start <= moment < month.end
    local_start = month.start.astimezone(zone)
    assert (local_start.day, local_start.hour, local_start.minute) == (1, 0, 0)
    following = calendar_month(month.end, timezone)
    assert following.start == month.end  # no gap, no overlap
    # Calendar days, one of which may be an hour shorter or longer.
    days = (month.end.astimezone(zone).date() - local_start.date()).days
    assert days in (28, 29, 30, 31)
    assert abs(month.length - days * 24 * HOUR) <= HOUR


def test_a_rolling_period_is_the_last_days_up_to_now() -> None:
    now = datetime(2026, 3, 9, tzinfo=UTC)

    period = current_period(now, window="rolling", timezone="Europe/Paris", days=30)

    assert (period.start, period.end) == (now - timedelta(days=30), now)


@pytest.mark.parametrize(
    ("percent", "desired", "zone"),
    [
        (99.4, 99.9, "below"),
        (99.5, 99.9, "within"),
        (99.89, 99.9, "within"),
        (99.9, 99.9, "above"),
        (100.0, None, "within"),
        (99.0, None, "below"),
    ],
)
def test_zone_of_tolerance(percent: float, desired: float | None, zone: str) -> None:
    assert zone_of(percent, 99.5, desired) == zone
