"""Rules of the ledger: what an incident or alert event records, and what a window holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import AlertFired, AlertResolved, IncidentSnapshot
from candor_shared.intervals import Interval, Window, total_downtime
from candor_sla_monitor.ledger import repository
from candor_sla_monitor.ledger.models import AlertInterval, Outage

# An incident declared with impact "none" told users nothing was wrong: not downtime.
DECLARED_DOWNTIME_IMPACTS = frozenset({"minor", "major", "critical"})

_SEVERITY_LENGTH = 32


@dataclass(frozen=True, slots=True)
class ServiceLedger:
    """A service's outages overlapping a window, and its downtime inside it so far."""

    service_slug: str
    window: Window
    observed_until: datetime
    outages: list[Outage]
    declared_downtime: timedelta
    measured_downtime: timedelta


async def record_incident(
    *, session: AsyncSession, incident: IncidentSnapshot, observed_at: datetime
) -> bool:
    """Make the incident's outage match ``incident``, unless a newer version is recorded.

    Works whatever order the versions arrive in. A resolved incident that carries no
    ``resolved_at`` ended at ``observed_at``. Returns True when the row changed.
    """
    ended_at = None
    if incident.status == "resolved":
        ended_at = incident.resolved_at or observed_at
    return await repository.upsert_outage(
        session,
        incident_id=incident.id,
        service_id=incident.service.id,
        service_slug=incident.service.slug,
        impact=incident.impact,
        started_at=incident.started_at,
        opened_at=incident.opened_at,
        ended_at=ended_at,
        acknowledged_at=incident.acknowledged_at,
        version=incident.version,
    )


async def record_alert_fired(*, session: AsyncSession, alert: AlertFired) -> bool:
    """Open the alert's interval; True unless this firing was recorded before."""
    return await repository.add_alert_interval(
        session,
        incident_id=alert.incident_id,
        service_slug=alert.service_slug,
        source=alert.source,
        fingerprint=alert.fingerprint,
        severity=alert.severity[:_SEVERITY_LENGTH],
        starts_at=alert.starts_at,
    )


async def record_alert_resolved(*, session: AsyncSession, alert: AlertResolved) -> bool:
    """Close the alert's interval (creating it if the firing has not arrived yet).

    True when the interval's end was recorded now; an end recorded before is kept.
    """
    return await repository.end_alert_interval(
        session,
        incident_id=alert.incident_id,
        service_slug=alert.service_slug,
        source=alert.source,
        fingerprint=alert.fingerprint,
        starts_at=alert.starts_at,
        ends_at=alert.ends_at,
    )


async def ledger_of(
    *, session: AsyncSession, service_slug: str, window: Window, now: datetime
) -> ServiceLedger:
    """The service's outages overlapping ``window`` and its downtime there until ``now``.

    Downtime is counted up to the window's end or ``now``, whichever comes first, so an
    outage still open is counted as lasting until now, never into the future. Declared
    downtime comes from incidents with some impact, measured downtime from alerts; in
    each, overlapping intervals count once.
    """
    outages = await repository.outages_overlapping(
        session, service_slug=service_slug, start=window.start, end=window.end
    )
    alerts = await repository.alert_intervals_overlapping(
        session, service_slug=service_slug, start=window.start, end=window.end
    )
    observed_until = min(max(now, window.start), window.end)
    declared = measured = timedelta(0)
    if observed_until > window.start:
        observed = Window(window.start, observed_until)
        declared = total_downtime(
            (
                _interval_of(outage)
                for outage in outages
                if outage.impact in DECLARED_DOWNTIME_IMPACTS
            ),
            observed,
        )
        measured = total_downtime((_interval_of(alert) for alert in alerts), observed)
    return ServiceLedger(
        service_slug=service_slug,
        window=window,
        observed_until=observed_until,
        outages=outages,
        declared_downtime=declared,
        measured_downtime=measured,
    )


def _interval_of(row: Outage | AlertInterval) -> Interval:
    if isinstance(row, Outage):
        return Interval(row.started_at, row.ended_at)
    return Interval(row.starts_at, row.ends_at)
