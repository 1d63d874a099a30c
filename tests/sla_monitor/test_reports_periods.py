"""Report periods and the error budget as reports tell it, free of I/O: months named YYYY-MM
in an agreement's timezone, their local days across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor_shared.intervals import Window
from candor_sla_monitor.reports.builder import error_budget
from candor_sla_monitor.reports.periods import (
    BadPeriod,
    local_days,
    month_window,
    next_period,
    period_of,
)

HOUR = timedelta(hours=1)


def test_months_begin_at_local_midnight_and_last_as_long_as_the_clocks_say() -> None:
    march = month_window("2026-03", "Europe/Paris")
    assert march == Window(
        datetime(2026, 2, 28, 23, tzinfo=UTC), datetime(2026, 3, 31, 22, tzinfo=UTC)
    )
    assert march.length == 743 * HOUR
    assert month_window("2026-10", "Europe/Paris").length == 745 * HOUR
    assert month_window("2026-12", "UTC").end == datetime(2027, 1, 1, tzinfo=UTC)
    assert period_of(datetime(2026, 3, 31, 22, tzinfo=UTC), "Europe/Paris") == "2026-04"
    assert period_of(datetime(2026, 3, 31, 21, 59, tzinfo=UTC), "Europe/Paris") == "2026-03"
    assert next_period("2026-12") == "2027-01"


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-01", "1900-01", "9999-01", ""])
def test_what_is_not_a_reportable_month_is_refused(period: str) -> None:
    with pytest.raises(BadPeriod):
        month_window(period, "UTC")


def test_local_days_of_a_month_with_a_daylight_saving_change() -> None:
    days = local_days(month_window("2026-03", "Europe/Paris"), "Europe/Paris")
    assert [day for day, _ in days] == [date(2026, 3, n) for n in range(1, 32)]
    lengths = {day.day: window.length for day, window in days}
    assert lengths[29] == 23 * HOUR
    assert {lengths[n] for n in range(1, 32) if n != 29} == {24 * HOUR}
    # Santiago skips its midnight in September: the day after still starts where it can.
    september = local_days(month_window("2026-09", "America/Santiago"), "America/Santiago")
    assert len(september) == 30
    assert sum((w.length for _, w in september), timedelta(0)) == 719 * HOUR


@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
    hours=st.integers(min_value=1, max_value=24 * 40),
    timezone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"]),
)
def test_local_days_cut_a_window_into_consecutive_days_without_gap(
    start: datetime, hours: int, timezone: str
) -> None:
    window = Window(start.replace(tzinfo=UTC), start.replace(tzinfo=UTC) + hours * HOUR)
    days = local_days(window, timezone)
    assert days[0][1].start == window.start
    assert days[-1][1].end == window.end
    for (day, piece), (following, after) in pairwise(days):
        assert following == day + timedelta(days=1)
        assert piece.end == after.start
        assert piece.length <= 25 * HOUR


def test_the_budget_of_a_report() -> None:
    budget = error_budget(adequate_percent=99.5, period=741 * HOUR, consumed=timedelta(minutes=145))
    assert budget.allowed == timedelta(minutes=222.3)
    assert budget.remaining == timedelta(minutes=77.3)
    overspent = error_budget(adequate_percent=99.9, period=720 * HOUR, consumed=HOUR)
    assert overspent.remaining == timedelta(minutes=43.2) - HOUR
    assert overspent.remaining < timedelta(0)
    # 100 % allows nothing: any downtime is the whole budget, and none is none.
    assert error_budget(adequate_percent=100, period=720 * HOUR, consumed=HOUR).consumed_share == 1
    assert (
        error_budget(adequate_percent=100, period=720 * HOUR, consumed=timedelta(0)).consumed_share
        == 0
    )
