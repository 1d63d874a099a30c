"""What the incident domain publishes, keyed by incident id."""

from __future__ import annotations

from typing import Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.events import service_ref
from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents.models import Alert, Incident
from candor_incident_api.outbox import publish
from candor_shared.contract import (
    AlertFired,
    AlertResolved,
    IncidentOpened,
    IncidentResolved,
    IncidentSnapshot,
)
from candor_shared.contract.incidents import Impact, IncidentStatus


def snapshot(incident: Incident, service: Service) -> IncidentSnapshot:
    """The incident as events carry it."""
    return IncidentSnapshot(
        id=str(incident.id),
        version=incident.version,
        service=service_ref(service),
        status=cast(IncidentStatus, incident.status),
        impact=cast(Impact, incident.impact),
        title=incident.title,
        summary=incident.summary,
        started_at=incident.started_at,
        opened_at=incident.opened_at,
        resolved_at=incident.resolved_at,
        firing_alerts=incident.firing_alerts,
    )


def publish_opened(
    session: AsyncSession,
    incident: Incident,
    service: Service,
    *,
    by: Literal["alert", "operator"] = "alert",
) -> None:
    """Announce a new incident."""
    publish(
        session,
        IncidentOpened(incident=snapshot(incident, service), opened_by=by),
        key=str(incident.id),
        subject=service.slug,
    )


def publish_resolved(
    session: AsyncSession,
    incident: Incident,
    service: Service,
    *,
    by: Literal["alert", "operator"] = "alert",
) -> None:
    """Announce that an incident is over."""
    publish(
        session,
        IncidentResolved(incident=snapshot(incident, service), resolved_by=by),
        key=str(incident.id),
        subject=service.slug,
    )


def publish_alert_fired(session: AsyncSession, alert: Alert, service: Service) -> None:
    """Record on the incident's stream that an alert started firing."""
    publish(
        session,
        AlertFired(
            incident_id=str(alert.incident_id),
            service_slug=service.slug,
            source=alert.source,
            fingerprint=alert.fingerprint,
            summary=alert.summary,
            severity=alert.severity,
            starts_at=alert.starts_at,
            labels=alert.labels,
        ),
        key=str(alert.incident_id),
        subject=service.slug,
    )


def publish_alert_resolved(session: AsyncSession, alert: Alert, service: Service) -> None:
    """Record on the incident's stream that an alert cleared."""
    assert alert.ends_at is not None
    publish(
        session,
        AlertResolved(
            incident_id=str(alert.incident_id),
            service_slug=service.slug,
            source=alert.source,
            fingerprint=alert.fingerprint,
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
        ),
        key=str(alert.incident_id),
        subject=service.slug,
    )
