"""Rules that turn alerts into incidents: deduplication, grouping, opening and resolving."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents import events, repository
from candor_incident_api.incidents.models import Alert, Incident
from candor_incident_api.ingest.model import InboundAlert
from candor_shared.ids import uuid7

_MINOR_SEVERITIES = frozenset({"warning", "warn", "minor", "low", "info", "informational"})


@dataclass(frozen=True, slots=True)
class RoutedAlert:
    """An alert with the service it concerns and the integration that sent it."""

    alert: InboundAlert
    service: Service
    integration_id: uuid.UUID | None


def impact_of(severity: str) -> str:
    """The impact an alert's severity suggests until an operator says otherwise."""
    return "minor" if severity.lower() in _MINOR_SEVERITIES else "major"


async def apply_alerts(
    *, session: AsyncSession, alerts: list[RoutedAlert], now: datetime
) -> list[uuid.UUID | None]:
    """Apply alerts in order; return, for each, the incident it belongs to (None if ignored).

    A firing alert joins its service's open incident or opens one; the same firing alert
    again changes nothing; a resolved alert resolves the incident when none of its alerts
    still fires. Stale notifications (a resolution older than the firing it would end, a
    firing older than the last resolution) are ignored. Events are staged in the outbox in
    the order the changes happen.
    """
    open_incidents = await repository.open_incidents_by_service(
        session, {routed.service.id for routed in alerts}
    )
    known = await repository.alerts_by_key(
        session,
        {(routed.service.id, routed.alert.source, routed.alert.fingerprint) for routed in alerts},
    )
    other_incidents: dict[uuid.UUID, Incident] = {}
    outcome: list[uuid.UUID | None] = []
    for routed in alerts:
        inbound, service = routed.alert, routed.service
        key = (service.id, inbound.source, inbound.fingerprint)
        row = known.get(key)
        if inbound.status == "firing":
            if row is not None and (
                row.status == "firing"
                or (row.ends_at is not None and inbound.starts_at <= row.ends_at)
            ):
                row.last_received_at = now
                outcome.append(row.incident_id if row.status == "firing" else None)
                continue
            incident = open_incidents.get(service.id)
            opened = incident is None
            if incident is None:
                incident = _new_incident(inbound, service, now)
                session.add(incident)
                open_incidents[service.id] = incident
            if row is None:
                row = _new_alert(routed, incident, now)
                session.add(row)
                known[key] = row
            else:
                row.status = "firing"
                row.incident_id = incident.id
                row.starts_at = inbound.starts_at
                row.ends_at = None
                row.summary = inbound.summary
                row.severity = inbound.severity
                row.labels = inbound.labels
                row.last_received_at = now
            incident.firing_alerts += 1
            incident.started_at = min(incident.started_at, inbound.starts_at)
            incident.updated_at = now
            if opened:
                events.publish_opened(session, incident, service)
            events.publish_alert_fired(session, row, service)
            outcome.append(incident.id)
            continue
        # A resolution of an alert never seen firing, seen resolved already, or older than
        # the firing it would end, changes nothing.
        ends_at = inbound.ends_at or now
        if row is None or row.status != "firing" or ends_at < row.starts_at:
            outcome.append(row.incident_id if row is not None else None)
            continue
        row.status = "resolved"
        row.ends_at = ends_at
        row.last_received_at = now
        incident = open_incidents.get(service.id)
        if incident is None or incident.id != row.incident_id:
            incident = await _incident_of(session, row.incident_id, other_incidents)
        incident.firing_alerts = max(incident.firing_alerts - 1, 0)
        incident.updated_at = now
        events.publish_alert_resolved(session, row, service)
        if incident.firing_alerts == 0 and incident.status != "resolved":
            incident.status = "resolved"
            incident.resolved_at = ends_at
            incident.open_service_id = None
            incident.version += 1
            open_incidents.pop(service.id, None)
            # Free the open-incident slot now, before a later alert of this batch opens anew.
            await session.flush()
            events.publish_resolved(session, incident, service)
        outcome.append(incident.id)
    return outcome


def _new_incident(inbound: InboundAlert, service: Service, now: datetime) -> Incident:
    return Incident(
        id=uuid7(),
        service_id=service.id,
        open_service_id=service.id,
        status="investigating",
        impact=impact_of(inbound.severity),
        title=inbound.summary,
        summary="",
        started_at=min(inbound.starts_at, now),
        opened_at=now,
        resolved_at=None,
        firing_alerts=0,
        version=1,
        updated_at=now,
    )


def _new_alert(routed: RoutedAlert, incident: Incident, now: datetime) -> Alert:
    inbound = routed.alert
    return Alert(
        id=uuid7(),
        service_id=routed.service.id,
        incident_id=incident.id,
        integration_id=routed.integration_id,
        source=inbound.source,
        fingerprint=inbound.fingerprint,
        status="firing",
        severity=inbound.severity,
        summary=inbound.summary,
        labels=inbound.labels,
        starts_at=inbound.starts_at,
        ends_at=None,
        first_received_at=now,
        last_received_at=now,
    )


async def _incident_of(
    session: AsyncSession, incident_id: uuid.UUID, cache: dict[uuid.UUID, Incident]
) -> Incident:
    if incident_id not in cache:
        cache.update(await repository.get_incidents(session, [incident_id]))
    return cache[incident_id]
