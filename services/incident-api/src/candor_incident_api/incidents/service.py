"""Rules that turn alerts into incidents: deduplication, grouping, opening and resolving."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents import events, repository
from candor_incident_api.incidents.state import AlertState, IncidentState
from candor_incident_api.ingest.model import InboundAlert
from candor_shared.contract import CloudEvent
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
    again changes nothing but its last-seen time; a resolved alert resolves the incident
    when none of its alerts still fires. Stale notifications (a resolution older than the
    firing it would end, a firing older than the last resolution) are ignored. Events are
    written to the outbox in the order the changes happen.
    """
    open_incidents = await repository.lock_open_incidents(
        session, {routed.service.id for routed in alerts}
    )
    known = await repository.lock_alerts(
        session,
        {(routed.service.id, routed.alert.source, routed.alert.fingerprint) for routed in alerts},
    )
    incidents: dict[uuid.UUID, IncidentState] = {i.id: i for i in open_incidents.values()}
    staged: list[CloudEvent[Any]] = []
    outcome: list[uuid.UUID | None] = []
    for routed in alerts:
        inbound, service = routed.alert, routed.service
        key = (service.id, inbound.source, inbound.fingerprint)
        row = known.get(key)
        if inbound.status == "firing":
            stale = row is not None and row.ends_at is not None and inbound.starts_at <= row.ends_at
            if row is not None and (row.status == "firing" or stale):
                if row.status == "firing" and inbound.starts_at > row.starts_at:
                    # It fired again after a resolution we have not seen (yet): a late
                    # resolution of the earlier firing must not end this one.
                    row.starts_at = inbound.starts_at
                row.last_received_at = now
                row.dirty = True
                outcome.append(row.incident_id if row.status == "firing" else None)
                continue
            incident = open_incidents.get(service.id)
            opened = incident is None
            if incident is None:
                incident = _new_incident(inbound, service, now)
                open_incidents[service.id] = incidents[incident.id] = incident
            if row is None:
                row = _new_alert(routed, incident, now)
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
                row.dirty = True
            incident.firing_alerts += 1
            incident.started_at = min(incident.started_at, inbound.starts_at)
            incident.updated_at = now
            incident.dirty = True
            if opened:
                staged.append(events.opened(incident, service))
            staged.append(events.alert_fired(row, service))
            outcome.append(incident.id)
            continue
        # A resolution of an alert never seen firing, seen resolved already, or older than
        # the firing it would end, changes nothing.
        ends_at = inbound.ends_at or now
        if (
            row is None
            or row.status != "firing"
            or ends_at < row.starts_at
            or inbound.starts_at < row.starts_at
        ):
            outcome.append(row.incident_id if row is not None else None)
            continue
        row.status = "resolved"
        row.ends_at = ends_at
        row.last_received_at = now
        row.dirty = True
        if row.incident_id not in incidents:
            incidents.update(await repository.lock_incidents(session, [row.incident_id]))
        incident = incidents[row.incident_id]
        incident.firing_alerts = max(incident.firing_alerts - 1, 0)
        incident.updated_at = now
        incident.dirty = True
        staged.append(events.alert_resolved(row, service))
        if incident.firing_alerts == 0 and incident.status != "resolved":
            incident.status = "resolved"
            incident.resolved_at = ends_at
            incident.open_service_id = None
            incident.version += 1
            if open_incidents.get(service.id) is incident:
                del open_incidents[service.id]
            staged.append(events.resolved(incident, service))
        outcome.append(incident.id)
    await repository.save_changes(session, incidents=incidents.values(), alerts=known.values())
    await events.stage(session, staged)
    return outcome


def _new_incident(inbound: InboundAlert, service: Service, now: datetime) -> IncidentState:
    return IncidentState(
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
        is_new=True,
    )


def _new_alert(routed: RoutedAlert, incident: IncidentState, now: datetime) -> AlertState:
    inbound = routed.alert
    return AlertState(
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
        is_new=True,
    )
