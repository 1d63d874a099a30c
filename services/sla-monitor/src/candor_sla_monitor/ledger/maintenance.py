"""Availability against an agreement with its maintenance, free of I/O.

Maintenance announced at least the agreed notice ahead is excluded: its time leaves both the
downtime and the period, so ``availability = 1 - counted downtime / (period - excluded)``.
Only what was announced is excluded: the part of the real span inside the announced times.
A window that overran its announced end (``completed_at`` later than ``ends_at``) or began
before its announced start is not excused for that extra time, which counts like any other
time: as downtime where outages (declared) or alerts (measured) say the service was down.
Maintenance announced later than the notice is not excluded at all: its whole real span
counts as downtime (weight 1) and it is flagged late. Without a notice in the agreement, all
announced maintenance is excluded. A cancelled window excludes nothing and counts nothing.

Note that excluding time never counts against a service the way late maintenance does, but
it does shorten the period: downtime elsewhere then weighs a little more, as agreements that
exclude maintenance intend.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from candor_shared.contract import AgreementTerms
from candor_shared.intervals import Interval, Window, clip, measure, merge
from candor_sla_monitor.ledger.availability import Weighted, availability_percent, weighted_downtime

# An incident declared with impact "none" told users nothing was wrong: not downtime (the
# ledger's rule, repeated here so that this module stays free of the database).
_DOWNTIME_IMPACTS = frozenset({"minor", "major", "critical"})


@dataclass(frozen=True, slots=True)
class MaintenanceSpan:
    """A maintenance window of a service, as its newest event described it."""

    maintenance_id: str
    starts_at: datetime
    ends_at: datetime
    announced_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled: bool = False

    @property
    def span(self) -> Interval:
        """What it really took: from its start (planned, until it started) to its end
        (planned, until it completed)."""
        return Interval(self.started_at or self.starts_at, self.completed_at or self.ends_at)

    @property
    def announced(self) -> Interval:
        """What users were told: from the planned start to the planned end."""
        return Interval(self.starts_at, self.ends_at)

    @property
    def excusable(self) -> Interval | None:
        """The part of the real span inside the announced times (None: they do not meet);
        only this part can be excluded, and only when announced in time."""
        span = self.span
        assert span.end is not None
        start, end = max(span.start, self.starts_at), min(span.end, self.ends_at)
        return Interval(start, end) if start < end else None

    @property
    def begins(self) -> datetime:
        """The moment the notice is measured to: the planned start, or the real one if
        it came earlier."""
        if self.started_at is not None and self.started_at < self.starts_at:
            return self.started_at
        return self.starts_at

    def announced_in_time(self, notice: timedelta | None) -> bool:
        """Whether users were told at least ``notice`` ahead (always, without a notice)."""
        # Compared as lengths of time: ``begins - notice`` leaves the calendar (an
        # OverflowError) for a notice of millions of days, which the contract accepts.
        return notice is None or self.begins - self.announced_at >= notice


@dataclass(frozen=True, slots=True)
class MaintenanceCount:
    """How one maintenance window counted in a window of time: ``inside`` is its real time
    in that window, all of it downtime if ``late``; ``excluded`` is the part left out of
    the period (announced in time, and within the announced times)."""

    maintenance_id: str
    span: Interval
    late: bool
    inside: timedelta
    excluded: timedelta = timedelta(0)

    @property
    def unannounced(self) -> timedelta:
        """Real time outside the announced times (an overrun, an early start) of a window
        announced in time: not excluded, counted as any other time."""
        return timedelta(0) if self.late else self.inside - self.excluded


@dataclass(frozen=True, slots=True)
class AgreementAvailability:
    """Availability over ``window`` against an agreement, maintenance applied.

    ``percent`` is declared availability (outages weighted by ``downtime_fraction``);
    ``measured_percent`` the same rule applied to monitoring alerts, unweighted.
    """

    window: Window
    percent: float
    measured_percent: float
    counted_downtime: timedelta
    measured_downtime: timedelta
    excluded: timedelta
    maintenance: tuple[MaintenanceCount, ...]

    @property
    def counted_period(self) -> timedelta:
        """The window's length without the excluded maintenance."""
        return self.window.length - self.excluded

    @property
    def late_windows(self) -> tuple[MaintenanceCount, ...]:
        """The maintenance announced too late, which counted as downtime."""
        return tuple(count for count in self.maintenance if count.late)


def agreement_availability(
    *,
    window: Window,
    terms: AgreementTerms,
    outages: Iterable[tuple[Interval, str]],
    maintenance: Iterable[MaintenanceSpan],
    alerts: Iterable[Interval] = (),
) -> AgreementAvailability:
    """Availability over ``window`` of a service with these outages, alerts and maintenance.

    - Declared downtime: each ``(interval, impact)`` outage counts its impact's
      ``downtime_fraction`` (absent impacts fully, impact ``none`` not at all); where they
      overlap the heaviest counts, once — as :func:`.availability.declared_downtime`.
    - Measured downtime: the union of ``alerts``.
    - Late maintenance (announced less than ``maintenance_notice`` ahead of its start) adds
      its real span to both, at weight 1; maintenance in time removes from both the
      downtime and the period the part of its real span within its announced times (an
      overrun is not excused). Where the two overlap, the exclusion wins.
    - A window wholly excluded has nothing to count: 100 %.

    Open intervals last until the window's end, so pass the window observed so far.
    """
    fractions = {str(level): share for level, share in terms.downtime_fraction.items()}
    counts: list[MaintenanceCount] = []
    excluded_spans: list[Interval] = []
    late_spans: list[Interval] = []
    for item in maintenance:
        if item.cancelled:
            continue
        span = item.span
        inside = clip([span], window)
        if not inside:
            continue
        late = not item.announced_in_time(terms.maintenance_notice)
        excused: list[Interval] = []
        if late:
            late_spans.extend(inside)
        elif item.excusable is not None:
            excused = clip([item.excusable], window)
            excluded_spans.extend(excused)
        counts.append(
            MaintenanceCount(item.maintenance_id, span, late, measure(inside), measure(excused))
        )
    counts.sort(key=lambda count: (count.span.start, count.maintenance_id))

    declared = [
        Weighted(interval, fractions.get(impact, 1.0) if impact in _DOWNTIME_IMPACTS else 0.0)
        for interval, impact in outages
    ]
    late_downtime = [Weighted(span) for span in late_spans]
    alert_downtime = [Weighted(alert) for alert in alerts]
    counted_parts = _outside(merge(excluded_spans), window)
    counted = _sum(weighted_downtime([*declared, *late_downtime], part) for part in counted_parts)
    measured = _sum(
        weighted_downtime([*alert_downtime, *late_downtime], part) for part in counted_parts
    )
    excluded = window.length - _sum(part.length for part in counted_parts)
    period = window.length - excluded
    no_period = period <= timedelta(0)
    return AgreementAvailability(
        window=window,
        percent=100.0 if no_period else availability_percent(counted, period),
        measured_percent=100.0 if no_period else availability_percent(measured, period),
        counted_downtime=counted,
        measured_downtime=measured,
        excluded=excluded,
        maintenance=tuple(counts),
    )


def _outside(excluded: list[Interval], window: Window) -> list[Window]:
    """The parts of ``window`` outside the sorted, disjoint ``excluded`` intervals."""
    parts: list[Window] = []
    cursor = window.start
    for interval in excluded:
        assert interval.end is not None
        if interval.start > cursor:
            parts.append(Window(cursor, interval.start))
        cursor = max(cursor, interval.end)
    if cursor < window.end:
        parts.append(Window(cursor, window.end))
    return parts


def _sum(durations: Iterable[timedelta]) -> timedelta:
    return sum(durations, timedelta(0))
