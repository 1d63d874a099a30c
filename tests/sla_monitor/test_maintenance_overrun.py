"""Maintenance that overruns its announced end: only the announced times are excluded.

Users were told "from 22:00 to 23:00". Work that went on until 23:30 (the completion event's
``completed_at``) was not announced: those 30 minutes stay in the period and count as
downtime where the service was down (outages, alerts), like any other time. The same holds
for work started before the announced start.

Times are on Monday 2 March 2026, UTC; the window asked about is the whole day (1,440
minutes); the agreement wants 2 hours' notice and every window here was announced 3 days
ahead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor_shared.intervals import Interval, Window
from candor_sla_monitor.ledger.maintenance import MaintenanceSpan, agreement_availability
from tests.sla_monitor.test_maintenance_availability import (
    TERMS,
    maintenance,
    outages,
    windows,
)

DAY = Window(datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))
MINUTE = timedelta(minutes=1)


def t(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return DAY.start + timedelta(hours=int(hours), minutes=int(minutes))


def window(*, started: str = "22:00", completed: str | None = "23:30") -> MaintenanceSpan:
    """Announced for 22:00-23:00, three days ahead; really run from ``started`` to
    ``completed``."""
    return MaintenanceSpan(
        maintenance_id="m",
        starts_at=t("22:00"),
        ends_at=t("23:00"),
        announced_at=t("22:00") - timedelta(days=3),
        started_at=t(started),
        completed_at=None if completed is None else t(completed),
    )


def test_the_overrun_counts_where_the_service_was_down() -> None:
    # A major outage from 22:10 to 23:40: 22:10-23:00 is inside the announced window
    # (excluded); 23:00-23:40 is not: 40 minutes of downtime, in a period of 1,380 minutes.
    result = agreement_availability(
        window=DAY,
        terms=TERMS,
        outages=[(Interval(t("22:10"), t("23:40")), "critical")],
        alerts=[Interval(t("22:05"), t("23:30"))],
        maintenance=[window()],
    )

    assert result.excluded == 60 * MINUTE
    assert result.counted_period == 1380 * MINUTE
    assert result.counted_downtime == 40 * MINUTE
    assert result.measured_downtime == 30 * MINUTE  # the alert's 23:00-23:30
    assert result.percent == pytest.approx(100 * (1 - 40 / 1380))  # 97.1014
    [count] = result.maintenance
    assert (count.late, count.inside, count.excluded, count.unannounced) == (
        False,
        90 * MINUTE,
        60 * MINUTE,
        30 * MINUTE,
    )
    assert result.late_windows == ()


def test_an_overrun_without_an_outage_costs_nothing_but_is_not_excused() -> None:
    result = agreement_availability(window=DAY, terms=TERMS, outages=[], maintenance=[window()])

    assert (result.excluded, result.counted_downtime, result.percent) == (
        60 * MINUTE,
        timedelta(0),
        100.0,
    )
    # The 30 minutes stay in the period: an outage elsewhere weighs against 1,380 minutes,
    # not 1,350.
    assert result.counted_period == 1380 * MINUTE


def test_an_early_start_is_not_excused_either() -> None:
    # Announced three days ahead of the real start too, so still in time; started at 21:45
    # and done on time. An outage over the whole work counts its first 15 minutes.
    span = window(started="21:45", completed="23:00")
    result = agreement_availability(
        window=DAY,
        terms=TERMS,
        outages=[(Interval(t("21:45"), t("23:00")), "major")],
        maintenance=[span],
    )

    assert span.announced_in_time(TERMS.maintenance_notice)
    assert result.excluded == 60 * MINUTE
    assert result.counted_downtime == 15 * MINUTE * 0.75  # major counts 3/4 in these terms


def test_a_window_still_in_progress_is_excused_until_its_announced_end() -> None:
    # No completion yet: the real span runs to the planned end; asked at 23:20, the
    # outage since 22:30 counts its 20 minutes past 23:00.
    observed = Window(DAY.start, t("23:20"))
    result = agreement_availability(
        window=observed,
        terms=TERMS,
        outages=[(Interval(t("22:30"), None), "critical")],
        maintenance=[window(completed=None)],
    )

    assert (result.excluded, result.counted_downtime) == (60 * MINUTE, 20 * MINUTE)


@given(
    st.lists(outages(), max_size=6),
    maintenance(),
    windows(),
    st.integers(0, 180),
)
def test_running_over_never_excludes_more_than_was_announced(
    items: list[tuple[Interval, str]], span: MaintenanceSpan, asked: Window, over: int
) -> None:
    """However long a window overran, it excludes what it excluded when it ended on time,
    and its downtime can only grow."""
    on_time = MaintenanceSpan(
        maintenance_id=span.maintenance_id,
        starts_at=span.starts_at,
        ends_at=span.ends_at,
        announced_at=span.announced_at,
        started_at=span.started_at,
        completed_at=span.ends_at,
        cancelled=span.cancelled,
    )
    overran = MaintenanceSpan(
        maintenance_id=span.maintenance_id,
        starts_at=span.starts_at,
        ends_at=span.ends_at,
        announced_at=span.announced_at,
        started_at=span.started_at,
        completed_at=span.ends_at + over * MINUTE,
        cancelled=span.cancelled,
    )

    before = agreement_availability(window=asked, terms=TERMS, outages=items, maintenance=[on_time])
    after = agreement_availability(window=asked, terms=TERMS, outages=items, maintenance=[overran])

    assert after.excluded == before.excluded
    assert after.counted_downtime >= before.counted_downtime
    assert after.percent <= before.percent
