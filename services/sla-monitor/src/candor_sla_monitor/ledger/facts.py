"""Facts on demand: what a service's ledger says over the last 7, 30, 90 and 365 days, and how
the current period of its agreement compares with the agreed levels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

import structlog
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import AgreementTerms, GroupRef
from candor_shared.intervals import Interval, Window, total_downtime
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.ledger import repository
from candor_sla_monitor.ledger.availability import (
    Zone,
    availability_percent,
    current_period,
    declared_downtime,
    measured_downtime,
    zone_of,
)
from candor_sla_monitor.ledger.maintenance import (
    AgreementAvailability,
    MaintenanceSpan,
    agreement_availability,
)
from candor_sla_monitor.ledger.models import AlertInterval, Outage
from candor_sla_monitor.ledger.service import DECLARED_DOWNTIME_IMPACTS
from candor_sla_monitor.maintenance import service as maintenance

log = structlog.get_logger(__name__)

FACT_WINDOWS_DAYS = (7, 30, 90, 365)


@dataclass(frozen=True, slots=True)
class WindowFacts:
    """The facts of one window ``[now - days, now)``."""

    days: int
    window: Window
    measured_downtime: timedelta
    uptime_percent: float
    outages: int
    outage_duration: timedelta
    mean_time_to_acknowledge: timedelta | None
    mean_time_to_restore: timedelta | None
    longest: Outage | None
    longest_duration: timedelta | None


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    """The agreement's current period, observed until now, against its two levels."""

    terms: AgreementTerms
    period: Window
    observed_until: datetime
    measured_percent: float
    declared_percent: float
    zone: Zone
    measured_zone: Zone
    availability: AgreementAvailability


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """Everything ``GET /v1/services/{slug}/facts`` answers."""

    service_slug: str
    now: datetime
    windows: list[WindowFacts]
    agreement: AgreementFacts | None
    group: GroupRef | None = None
    # Why ``agreement`` is None although terms are stored: they no longer validate.
    agreement_invalid: str | None = None


class UnknownService(LookupError):
    """Neither the catalog nor the ledger has heard of the service."""


def _outage_interval(outage: Outage) -> Interval:
    return Interval(outage.started_at, outage.ended_at)


def agreed_downtime(
    *, terms: AgreementTerms, outages: Iterable[Outage], window: Window
) -> timedelta:
    """Downtime within ``window`` as the agreement counts it: declared outages (impact other
    than ``none``), each weighted by its impact's ``downtime_fraction``; where outages
    overlap, the heaviest counts, once. Open outages last until the window's end."""
    return declared_downtime(
        (
            (_outage_interval(outage), outage.impact)
            for outage in outages
            if outage.impact in DECLARED_DOWNTIME_IMPACTS
        ),
        window,
        {str(level): share for level, share in terms.downtime_fraction.items()},
    )


def _mean(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=fmean(value.total_seconds() for value in values))


def window_facts(
    *, days: int, now: datetime, outages: list[Outage], alerts: list[AlertInterval]
) -> WindowFacts:
    """The facts of ``[now - days, now)`` from rows that may reach beyond it.

    Outages are the declared ones (impact other than ``none``) overlapping the window; the
    longest and the means use their whole length (an open one lasts until now), the total
    only what lies inside the window, overlaps once.
    """
    window = Window(now - timedelta(days=days), now)
    inside = [
        outage
        for outage in outages
        if outage.impact in DECLARED_DOWNTIME_IMPACTS
        and outage.started_at < window.end
        and (outage.ended_at is None or outage.ended_at > window.start)
    ]
    measured = measured_downtime((Interval(a.starts_at, a.ends_at) for a in alerts), window)
    durations = [(outage.ended_at or now) - outage.started_at for outage in inside]
    longest: Outage | None = None
    longest_duration: timedelta | None = None
    for outage, duration in zip(inside, durations, strict=True):
        if longest_duration is None or duration > longest_duration:
            longest, longest_duration = outage, duration
    return WindowFacts(
        days=days,
        window=window,
        measured_downtime=measured,
        uptime_percent=availability_percent(measured, window.length),
        outages=len(inside),
        outage_duration=total_downtime(map(_outage_interval, inside), window),
        mean_time_to_acknowledge=_mean(
            [
                max(outage.acknowledged_at - outage.opened_at, timedelta(0))
                for outage in inside
                if outage.acknowledged_at is not None
            ]
        ),
        mean_time_to_restore=_mean(
            [outage.ended_at - outage.started_at for outage in inside if outage.ended_at]
        ),
        longest=longest,
        longest_duration=longest_duration,
    )


def agreement_facts(
    *,
    terms: AgreementTerms,
    now: datetime,
    outages: list[Outage],
    alerts: list[AlertInterval],
    maintenance: list[MaintenanceSpan] | None = None,
) -> AgreementFacts | None:
    """The current period's availability, counted up to now; None without an objective.

    Declared availability weighs each outage by its impact's ``downtime_fraction``; the
    zone is that of the declared figure, ``measured_zone`` that of the alerts'. Both
    exclude maintenance announced in time and count late maintenance as downtime (see
    :func:`.maintenance.agreement_availability`).
    """
    objective = terms.availability
    if objective is None:
        return None
    period = current_period(
        now, window=objective.window, timezone=terms.timezone, days=objective.rolling_days
    )
    observed_until = min(now, period.end)
    if observed_until <= period.start:
        return None
    observed = Window(period.start, observed_until)
    availability = agreement_availability(
        window=observed,
        terms=terms,
        outages=[(_outage_interval(outage), outage.impact) for outage in outages],
        alerts=[Interval(a.starts_at, a.ends_at) for a in alerts],
        maintenance=maintenance or [],
    )
    declared_percent = availability.percent
    measured_percent = availability.measured_percent
    return AgreementFacts(
        terms=terms,
        period=period,
        observed_until=observed_until,
        measured_percent=measured_percent,
        declared_percent=declared_percent,
        zone=zone_of(declared_percent, objective.adequate_percent, objective.desired_percent),
        measured_zone=zone_of(
            measured_percent, objective.adequate_percent, objective.desired_percent
        ),
        availability=availability,
    )


async def facts_of(
    *, session: AsyncSession, service_slug: str, now: datetime, group_id: str | None = None
) -> ServiceFacts:
    """The service's facts as of ``now``, the current period against its own agreement or,
    with ``group_id``, against its agreement with that group; raises :class:`UnknownService`
    and :class:`.agreements.repository.UnknownGroupAgreement`."""
    agreement = await agreements.by_slug(session, service_slug)
    if agreement is None and not await _in_ledger(session, service_slug):
        raise UnknownService(service_slug)
    if agreement is None and group_id:
        raise agreements.UnknownGroupAgreement(f"service {service_slug!r} is not in the catalog")
    evaluated = None if agreement is None else agreements.one_of(agreement, group_id)
    longest_back = now - timedelta(days=max(FACT_WINDOWS_DAYS))
    outages = await repository.outages_overlapping(
        session, service_slug=service_slug, start=longest_back, end=now
    )
    alerts = await repository.alert_intervals_overlapping(
        session, service_slug=service_slug, start=longest_back, end=now
    )
    windows = [
        window_facts(days=days, now=now, outages=outages, alerts=alerts)
        for days in FACT_WINDOWS_DAYS
    ]
    current: AgreementFacts | None = None
    invalid: str | None = None
    try:
        terms = None if evaluated is None else evaluated.validated()
    except ValidationError as error:
        # Stored before the contract checked it (an unknown timezone, say): the windows are
        # still the service's facts; only the agreement's period cannot be worked out.
        terms, invalid = None, agreements.invalid_reasons(error)
        log.warning(
            "facts.terms_invalid",
            service=service_slug,
            group=group_id or None,
            error=invalid,
        )
    if terms is not None and terms.availability is not None:
        period = current_period(
            now,
            window=terms.availability.window,
            timezone=terms.timezone,
            days=terms.availability.rolling_days,
        )
        current = agreement_facts(
            terms=terms,
            now=now,
            outages=await repository.outages_overlapping(
                session, service_slug=service_slug, start=period.start, end=period.end
            ),
            alerts=await repository.alert_intervals_overlapping(
                session, service_slug=service_slug, start=period.start, end=period.end
            ),
            maintenance=await maintenance.spans_of(
                session=session, service_slug=service_slug, window=period
            ),
        )
    return ServiceFacts(
        service_slug=service_slug,
        now=now,
        windows=windows,
        agreement=current,
        group=None if evaluated is None else evaluated.group,
        agreement_invalid=invalid,
    )


async def _in_ledger(session: AsyncSession, service_slug: str) -> bool:
    for column in (Outage.service_slug, AlertInterval.service_slug):
        if await session.scalar(select(column).where(column == service_slug).limit(1)):
            return True
    return False
