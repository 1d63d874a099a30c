"""What the incident domain publishes, keyed by incident id."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.events import service_ref
from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents import impacts as impacts_
from candor_incident_api.incidents.models import Incident
from candor_incident_api.incidents.state import AlertState, IncidentState
from candor_incident_api.models import OutboxRecord
from candor_incident_api.outbox import SOURCE
from candor_shared.contract import (
    AlertFired,
    AlertResolved,
    CloudEvent,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    IncidentSnapshot,
    IncidentUpdated,
    new_event,
)
from candor_shared.contract.incidents import Impact, IncidentStatus, UpdateKind
from candor_shared.kafka import insert_events


def snapshot(
    incident: Incident | IncidentState,
    service: Service,
    affected: list[impacts_.Affected] | None = None,
) -> IncidentSnapshot:
    """The incident as events carry it (``affected``: its recorded impacts, own service first)."""
    affected = affected or [impacts_.Affected(service=service, impact=incident.impact)]
    own = affected[0]
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
        component=own.components[0] if own.components else None,
        impacts=impacts_.contract(affected),
        acknowledged_at=incident.acknowledged_at,
        acknowledged_by=incident.acknowledged_by,
        public_message=incident.public_message,
        next_update_at=incident.next_update_at,
        reopened=incident.reopened,
    )


IncidentLike = Incident | IncidentState


Affected = list[impacts_.Affected] | None


def opened(
    incident: IncidentLike,
    service: Service,
    affected: Affected = None,
    *,
    by: Literal["alert", "operator"] = "alert",
) -> CloudEvent[IncidentOpened]:
    """The event announcing a new incident (to users: once its notification delay passed)."""
    return new_event(
        IncidentOpened(incident=snapshot(incident, service, affected), opened_by=by),
        source=SOURCE,
        key=str(incident.id),
        subject=service.slug,
    )


def resolved(
    incident: IncidentLike,
    service: Service,
    affected: Affected = None,
    *,
    by: Literal["alert", "operator"] = "alert",
) -> CloudEvent[IncidentResolved]:
    """The event announcing that an incident is over."""
    return new_event(
        IncidentResolved(incident=snapshot(incident, service, affected), resolved_by=by),
        source=SOURCE,
        key=str(incident.id),
        subject=service.slug,
    )


def reopened(
    incident: IncidentLike, service: Service, affected: Affected, *, previous: datetime
) -> CloudEvent[IncidentReopened]:
    """The event announcing that a resolved incident came back (within the flap window)."""
    return new_event(
        IncidentReopened(
            incident=snapshot(incident, service, affected), previous_resolved_at=previous
        ),
        source=SOURCE,
        key=str(incident.id),
        subject=service.slug,
    )


def updated(
    incident: IncidentLike,
    service: Service,
    affected: Affected,
    *,
    kind: UpdateKind,
    actor: str,
    public_message: str = "",
) -> CloudEvent[IncidentUpdated]:
    """The event announcing an operator's change to an open incident."""
    return new_event(
        IncidentUpdated(
            incident=snapshot(incident, service, affected),
            kind=kind,
            actor=actor,
            public_message=public_message,
            next_update_at=incident.next_update_at,
        ),
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
