"""Availability with maintenance: excluded when announced in time (within its announced
times only), downtime when late.

The reference is a minute-by-minute count: a minute of excluded maintenance leaves the
period; any other minute counts the heaviest weight covering it (a late window weighs 1).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor_shared.contract import AgreementTerms
from candor_shared.intervals import Interval, Window
from candor_sla_monitor.ledger.availability import calendar_month
from candor_sla_monitor.ledger.maintenance import MaintenanceSpan, agreement_availability

EPOCH = datetime(2026, 3, 2, tzinfo=UTC)
HORIZON = 6 * 60  # minutes
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
NOTICE = timedelta(hours=2)
# Quarters, so that every sum of weighted minutes is exact in binary floating point.
FRACTIONS = {"minor": 0.25, "major": 0.75}
TERMS = AgreementTerms.model_validate(
    {
        "availability": {"adequate_percent": 99.5},
        "maintenance_notice": "PT2H",
        "downtime_fraction": FRACTIONS,
    }
)


def minute(n: int) -> datetime:
    return EPOCH + n * MINUTE


def terms(**changes: Any) -> AgreementTerms:
    return TERMS.model_copy(update=changes)


@st.composite
def outages(draw: st.DrawFn) -> tuple[Interval, str]:
    start = draw(st.integers(-30, HORIZON))
    end = None if draw(st.integers(0, 5)) == 0 else minute(draw(st.integers(start, start + 90)))
    impact = draw(st.sampled_from(["none", "minor", "major", "critical"]))
    return Interval(minute(start), end), impact


@st.composite
def maintenance(draw: st.DrawFn) -> MaintenanceSpan:
    """Windows planned or really run, announced from 4 hours ahead to after they began."""
    starts = draw(st.integers(-60, HORIZON))
    ends = draw(st.integers(starts + 1, starts + 120))
    started = draw(st.one_of(st.none(), st.integers(starts - 20, starts + 20)))
    completed = draw(st.one_of(st.none(), st.integers(ends - 20, ends + 20)))
    return MaintenanceSpan(
        maintenance_id=str(draw(st.uuids())),
        starts_at=minute(starts),
        ends_at=minute(ends),
        announced_at=minute(starts - draw(st.integers(-30, 240))),
        started_at=None if started is None else minute(started),
        completed_at=None if completed is None else minute(completed),
        cancelled=draw(st.integers(0, 6)) == 0,
    )


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start = draw(st.integers(-30, HORIZON))
    return Window(minute(start), minute(draw(st.integers(start + 1, HORIZON + 60))))


def covers(interval: Interval, moment: datetime) -> bool:
    return interval.start <= moment and (interval.end is None or moment < interval.end)


def brute_force(
    agreement: AgreementTerms,
    window: Window,
    items: list[tuple[Interval, str]],
    spans: list[MaintenanceSpan],
) -> tuple[timedelta, timedelta]:
    """(counted downtime, excluded time), minute by minute."""
    notice = agreement.maintenance_notice
    live = [span for span in spans if not span.cancelled]
    in_time = [
        s.excusable
        for s in live
        if (notice is None or s.announced_at <= s.begins - notice) and s.excusable is not None
    ]
    late = [s.span for s in live if notice is not None and s.announced_at > s.begins - notice]
    counted = excluded = timedelta(0)
    moment = window.start
    while moment < window.end:
        if any(covers(span, moment) for span in in_time):
            excluded += MINUTE
        else:
            weights = [
                agreement.downtime_fraction.get(impact, 1.0)  # type: ignore[call-overload]
                for interval, impact in items
                if impact != "none" and covers(interval, moment)
            ]
            weights += [1.0 for span in late if covers(span, moment)]
            counted += MINUTE * max(weights, default=0.0)
        moment += MINUTE
    return counted, excluded


@given(
    st.lists(outages(), max_size=8),
    st.lists(maintenance(), max_size=5),
    windows(),
    st.sampled_from([None, timedelta(hours=2)]),
)
def test_availability_equals_the_minute_by_minute_count(
    items: list[tuple[Interval, str]],
    spans: list[MaintenanceSpan],
    window: Window,
    notice: timedelta | None,
) -> None:
    agreement = terms(maintenance_notice=notice)
    counted, excluded = brute_force(agreement, window, items, spans)

    result = agreement_availability(
        window=window, terms=agreement, outages=items, maintenance=spans
    )

    assert (result.counted_downtime, result.excluded) == (counted, excluded)
    assert result.counted_period == window.length - excluded
    if excluded < window.length:
        assert result.percent == pytest.approx(100 * (1 - counted / (window.length - excluded)))
    else:
        assert result.percent == 100.0


@given(maintenance(), windows(), st.integers(-5, 5))
def test_maintenance_is_excluded_only_when_announced_in_time(
    span: MaintenanceSpan, window: Window, early_by: int
) -> None:
    """Announced ``early_by`` minutes before the notice was due: late when that is negative."""
    span = MaintenanceSpan(
        maintenance_id=span.maintenance_id,
        starts_at=span.starts_at,
        ends_at=span.ends_at,
        started_at=span.started_at,
        completed_at=span.completed_at,
        announced_at=span.begins - NOTICE - early_by * MINUTE,
    )
    result = agreement_availability(window=window, terms=TERMS, outages=[], maintenance=[span])

    inside = sum(
        (part.length for part in _inside(span.span, window)),
        timedelta(0),
    )
    if not inside:
        assert result.maintenance == ()
        return
    (count,) = result.maintenance
    assert count.late is (early_by < 0)
    assert count.inside == inside
    if count.late:
        # Not excluded: its whole time inside the window counts as downtime, at weight 1.
        assert result.excluded == timedelta(0)
        assert result.counted_downtime == inside
        assert result.late_windows == (count,)
    else:
        # Excluded within its announced times; an overrun counts as other time (no outage
        # here: nothing).
        excusable = span.excusable
        expected = timedelta(0) if excusable is None else _measure(_inside(excusable, window))
        assert result.excluded == count.excluded == expected
        assert count.unannounced == inside - expected
        assert result.counted_downtime == timedelta(0)
        assert result.percent == 100.0


@given(st.lists(outages(), max_size=8), st.lists(maintenance(), max_size=5), windows())
def test_announcing_in_time_never_lowers_availability(
    items: list[tuple[Interval, str]], spans: list[MaintenanceSpan], window: Window
) -> None:
    def announced(ahead: timedelta) -> list[MaintenanceSpan]:
        return [
            MaintenanceSpan(
                maintenance_id=s.maintenance_id,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                started_at=s.started_at,
                completed_at=s.completed_at,
                cancelled=s.cancelled,
                announced_at=s.begins - ahead,
            )
            for s in spans
        ]

    in_time = agreement_availability(
        window=window, terms=TERMS, outages=items, maintenance=announced(NOTICE)
    )
    late = agreement_availability(
        window=window, terms=TERMS, outages=items, maintenance=announced(NOTICE - MINUTE)
    )
    cancelled_or_none = agreement_availability(
        window=window, terms=TERMS, outages=items, maintenance=[]
    )

    assert in_time.percent >= late.percent
    assert in_time.measured_percent >= late.measured_percent
    assert late.percent <= cancelled_or_none.percent
    assert in_time.counted_downtime <= cancelled_or_none.counted_downtime


@given(st.lists(maintenance(), max_size=5), windows())
def test_without_a_notice_every_announced_window_is_excluded(
    spans: list[MaintenanceSpan], window: Window
) -> None:
    result = agreement_availability(
        window=window, terms=terms(maintenance_notice=None), outages=[], maintenance=spans
    )

    assert result.late_windows == ()
    assert result.counted_downtime == timedelta(0)
    assert result.percent == 100.0


def _measure(parts: list[Window]) -> timedelta:
    return sum((part.length for part in parts), timedelta(0))


def _inside(span: Interval, window: Window) -> list[Window]:
    assert span.end is not None
    start, end = max(span.start, window.start), min(span.end, window.end)
    return [Window(start, end)] if start < end else []


PARIS_MARCH = calendar_month(datetime(2026, 3, 15, tzinfo=UTC), "Europe/Paris")
PARIS_APRIL = calendar_month(datetime(2026, 4, 15, tzinfo=UTC), "Europe/Paris")


@given(st.integers(-10 * 60, 10 * 60), st.integers(1, 12 * 60))
def test_maintenance_across_a_month_boundary_is_split_between_the_months(
    offset: int, length: int
) -> None:
    """March 2026 in Paris has 743 hours (clocks go forward on the 29th); a window near its
    end counts in March for the part before local midnight and in April for the rest."""
    start = PARIS_MARCH.end + offset * MINUTE
    span = MaintenanceSpan(
        maintenance_id="m",
        starts_at=start,
        ends_at=start + length * MINUTE,
        announced_at=start - timedelta(days=7),
    )

    march = agreement_availability(window=PARIS_MARCH, terms=TERMS, outages=[], maintenance=[span])
    april = agreement_availability(window=PARIS_APRIL, terms=TERMS, outages=[], maintenance=[span])

    assert PARIS_MARCH.length == 743 * HOUR
    assert march.excluded + april.excluded == length * MINUTE
    assert march.excluded == max(min(span.ends_at, PARIS_MARCH.end) - start, timedelta(0))
    assert march.counted_period == 743 * HOUR - march.excluded


def test_a_month_in_paris_worked_by_hand() -> None:
    """March 2026 in Paris: 743 hours. A major outage of one hour (counting 3/4), a minor one
    of 40 minutes (1/4: 10 minutes), maintenance of 2 hours announced 3 days ahead (excluded),
    one of 30 minutes announced 1 hour ahead (late: 30 minutes of downtime), one cancelled."""
    march = PARIS_MARCH
    day = datetime(2026, 3, 10, tzinfo=UTC)
    result = agreement_availability(
        window=march,
        terms=TERMS,
        outages=[
            (Interval(day + 8 * HOUR, day + 9 * HOUR), "major"),
            (Interval(day + 12 * HOUR, day + 12 * HOUR + 40 * MINUTE), "minor"),
            (Interval(day + 14 * HOUR, day + 15 * HOUR), "none"),
        ],
        maintenance=[
            MaintenanceSpan(
                maintenance_id="planned",
                starts_at=day + 22 * HOUR,
                ends_at=day + 24 * HOUR,
                announced_at=day - timedelta(days=3),
            ),
            MaintenanceSpan(
                maintenance_id="hasty",
                starts_at=day + 30 * HOUR,
                ends_at=day + 31 * HOUR,
                announced_at=day + 29 * HOUR,
                started_at=day + 30 * HOUR,
                completed_at=day + 30 * HOUR + 30 * MINUTE,  # done early: 30 minutes
            ),
            MaintenanceSpan(
                maintenance_id="called off",
                starts_at=day + 40 * HOUR,
                ends_at=day + 44 * HOUR,
                announced_at=day + 39 * HOUR,
                cancelled=True,
            ),
        ],
    )

    assert result.excluded == 2 * HOUR
    assert result.counted_period == 741 * HOUR
    assert result.counted_downtime == 45 * MINUTE + 10 * MINUTE + 30 * MINUTE
    assert result.percent == pytest.approx(100 * (1 - 85 / (741 * 60)))  # 99.8088
    assert [(c.maintenance_id, c.late, c.inside) for c in result.maintenance] == [
        ("planned", False, 2 * HOUR),
        ("hasty", True, 30 * MINUTE),
    ]
    assert [c.maintenance_id for c in result.late_windows] == ["hasty"]


def test_notice_is_measured_to_the_earlier_of_the_planned_and_the_real_start() -> None:
    planned = datetime(2026, 3, 10, 22, tzinfo=UTC)
    announced = planned - NOTICE  # exactly in time for the planned start
    on_time, early, late_start = (
        MaintenanceSpan("m", planned, planned + HOUR, announced, started_at=started)
        for started in (planned, planned - 5 * MINUTE, planned + 5 * MINUTE)
    )

    assert on_time.announced_in_time(NOTICE)
    assert not early.announced_in_time(NOTICE)  # started before users were told it would
    assert late_start.announced_in_time(NOTICE)
    assert late_start.span == Interval(planned + 5 * MINUTE, planned + HOUR)


def test_a_window_wholly_under_maintenance_has_nothing_to_count() -> None:
    window = Window(EPOCH, EPOCH + HOUR)
    span = MaintenanceSpan("m", EPOCH - HOUR, EPOCH + 2 * HOUR, EPOCH - timedelta(days=3))

    result = agreement_availability(
        window=window,
        terms=TERMS,
        outages=[(Interval(EPOCH, EPOCH + HOUR), "critical")],
        maintenance=[span],
        alerts=[Interval(EPOCH, None)],
    )

    assert (result.percent, result.measured_percent) == (100.0, 100.0)
    assert result.counted_period == timedelta(0)


def test_a_notice_longer_than_the_calendar_reaches_back_makes_the_window_late() -> None:
    # The contract takes any duration from a minute up: a notice of 999,999,999 days reaches
    # before year 1. It is a notice no announcement met, not an OverflowError that fails the
    # facts, the report and every later service's budget round.
    terms = TERMS.model_copy(update={"maintenance_notice": timedelta(days=999_999_999)})
    span = MaintenanceSpan("m", EPOCH, EPOCH + HOUR, EPOCH - timedelta(days=3650))

    assert not span.announced_in_time(terms.maintenance_notice)
    result = agreement_availability(
        window=Window(EPOCH, EPOCH + 2 * HOUR), terms=terms, outages=[], maintenance=[span]
    )
    assert (result.counted_downtime, result.late_windows[0].maintenance_id) == (HOUR, "m")
