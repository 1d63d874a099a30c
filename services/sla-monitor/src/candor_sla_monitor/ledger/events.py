"""The incident-topic events the ledger handles, each inside the consumer's transaction."""

from __future__ import annotations

from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import (
    AlertFired,
    AlertResolved,
    CloudEvent,
    EventData,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    IncidentUpdated,
)
from candor_shared.kafka import Handler
from candor_sla_monitor.ledger import service

log = structlog.get_logger(__name__)

D = TypeVar("D", bound=EventData)


def _data(event: CloudEvent[EventData], model: type[D]) -> D:
    if not isinstance(event.data, model):
        raise TypeError(f"{event.type} carries {type(event.data).__name__}, not {model.__name__}")
    return event.data


_INCIDENT_LOG = {
    IncidentOpened.event_type: "ledger.outage_opened",
    IncidentResolved.event_type: "ledger.outage_ended",
    IncidentReopened.event_type: "ledger.outage_reopened",
    IncidentUpdated.event_type: "ledger.outage_updated",
}

_IncidentEvent = IncidentOpened | IncidentResolved | IncidentReopened | IncidentUpdated


async def on_incident_changed(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
    """Record the outage an incident declares, as of the newest snapshot: the row follows the
    snapshot whatever the change (opened, updated, resolved, reopened), so one handler serves
    them all. A reopened incident's outage runs again from its original start: users feel
    a flapping service as one outage."""
    data = event.data
    if not isinstance(data, _IncidentEvent):
        raise TypeError(f"{event.type} carries {type(data).__name__}, not an incident event")
    incident = data.incident
    changed = await service.record_incident(
        session=session, incident=incident, observed_at=event.time
    )
    log.info(
        _INCIDENT_LOG[event.type],
        incident_id=incident.id,
        service=incident.service.slug,
        version=incident.version,
        changed=changed,
    )


async def on_alert_fired(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
    """Record the start of an alert's firing."""
    alert = _data(event, AlertFired)
    changed = await service.record_alert_fired(session=session, alert=alert)
    log.info(
        "ledger.alert_interval_started",
        incident_id=alert.incident_id,
        service=alert.service_slug,
        fingerprint=alert.fingerprint,
        changed=changed,
    )


async def on_alert_resolved(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
    """Record the end of an alert's firing."""
    alert = _data(event, AlertResolved)
    changed = await service.record_alert_resolved(session=session, alert=alert)
    log.info(
        "ledger.alert_interval_ended",
        incident_id=alert.incident_id,
        service=alert.service_slug,
        fingerprint=alert.fingerprint,
        changed=changed,
    )


def handlers() -> dict[str, Handler]:
    """The ledger's handlers by event type, for a consumer of the incident topic."""
    return {
        IncidentOpened.event_type: on_incident_changed,
        IncidentResolved.event_type: on_incident_changed,
        IncidentReopened.event_type: on_incident_changed,
        IncidentUpdated.event_type: on_incident_changed,
        AlertFired.event_type: on_alert_fired,
        AlertResolved.event_type: on_alert_resolved,
    }
