"""What the incident domain publishes, keyed by incident id."""

from __future__ import annotations

from typing import Any, Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.events import service_ref
from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents.models import Incident
from candor_incident_api.incidents.state import AlertState, IncidentState
from candor_incident_api.models import OutboxRecord
from candor_incident_api.outbox import SOURCE
from candor_shared.contract import (
    AlertFired,
    AlertResolved,
    CloudEvent,
    IncidentOpened,
    IncidentResolved,
    IncidentSnapshot,
    new_event,
)
from candor_shared.contract.incidents import Impact, IncidentStatus
from candor_shared.kafka import insert_events


def snapshot(incident: Incident | IncidentState, service: Service) -> IncidentSnapshot:
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


IncidentLike = Incident | IncidentState


def opened(
    incident: IncidentLike, service: Service, *, by: Literal["alert", "operator"] = "alert"
) -> CloudEvent[IncidentOpened]:
    """The event announcing a new incident."""
    return new_event(
        IncidentOpened(incident=snapshot(incident, service), opened_by=by),
        source=SOURCE,
        key=str(incident.id),
        subject=service.slug,
    )


def resolved(
    incident: IncidentLike, service: Service, *, by: Literal["alert", "operator"] = "alert"
) -> CloudEvent[IncidentResolved]:
    """The event announcing that an incident is over."""
    return new_event(
        IncidentResolved(incident=snapshot(incident, service), resolved_by=by),
        source=SOURCE,
        key=str(incident.id),
        subject=service.slug,
    )


def alert_fired(alert: AlertState, service: Service) -> CloudEvent[AlertFired]:
    """The event recording on the incident's stream that an alert started firing."""
    return new_event(
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
        source=SOURCE,
        key=str(alert.incident_id),
        subject=service.slug,
    )


def alert_resolved(alert: AlertState, service: Service) -> CloudEvent[AlertResolved]:
    """The event recording on the incident's stream that an alert cleared."""
    assert alert.ends_at is not None
    return new_event(
        AlertResolved(
            incident_id=str(alert.incident_id),
            service_slug=service.slug,
            source=alert.source,
            fingerprint=alert.fingerprint,
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
        ),
        source=SOURCE,
        key=str(alert.incident_id),
        subject=service.slug,
    )


async def stage(session: AsyncSession, staged: list[CloudEvent[Any]]) -> None:
    """Write the events to the outbox, in order, with one statement."""
    if staged:
        await insert_events(session, OutboxRecord, staged)
        session.info["outbox_written"] = True
