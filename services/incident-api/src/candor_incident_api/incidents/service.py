"""Rules that turn alerts into incidents: deduplication, grouping, flapping, notification delay.

Users don't see alerts; they see "email is down again". So alerts of one service that overlap
join its open incident; an alert that fires again within the service's flap window after its
incident resolved reopens that incident instead of opening a new one; and with a notification
delay (like Alertmanager's ``group_wait``) a new incident is recorded at once but announced
only when the delay has passed and it still stands — one that clears sooner is never
broadcast. Alert events are published either way: they are the measured facts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents import events, impacts, repository, timeline
from candor_incident_api.incidents.state import AlertState, IncidentState
from candor_incident_api.ingest.model import InboundAlert
from candor_incident_api.maintenance import repository as maintenance
from candor_shared.contract import CloudEvent
from candor_shared.ids import uuid7

_MINOR_SEVERITIES = frozenset({"warning", "warn", "minor", "low", "info", "informational"})


@dataclass(frozen=True, slots=True)
class RoutedAlert:
    """An alert with the service (and component) it concerns and who sent it."""

    alert: InboundAlert
    service: Service
    integration_id: uuid.UUID | None
    component_id: uuid.UUID | None = None
    actor: str = "alert"


def impact_of(severity: str) -> str:
    """The impact an alert's severity suggests until an operator says otherwise.

    Never ``critical``: a monitoring severity says how urgent the alert is for operators,
    not that users cannot work at all; only an operator declares that.
    """
    return "minor" if severity.lower() in _MINOR_SEVERITIES else "major"


@dataclass(frozen=True, slots=True)
class _Pending:
    """An incident event, built at the end once every incident's impacts are known."""

    build: Callable[..., CloudEvent[Any]]
    incident: IncidentState
    service: Service
    kwargs: dict[str, Any]


class _Batch:
    """The working state of one ``apply_alerts`` call."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self.now = now
        self.incidents: dict[uuid.UUID, IncidentState] = {}
        self.open: dict[uuid.UUID, IncidentState] = {}
        self.affected: dict[uuid.UUID, list[impacts.Affected]] = {}
        self.pending: list[_Pending | CloudEvent[Any]] = []
        self.timeline: list[dict[str, Any]] = []
        self.impact_rows: list[dict[str, object]] = []

    def publish(
        self,
        build: Callable[..., CloudEvent[Any]],
        incident: IncidentState,
        service: Service,
        **kwargs: Any,
    ) -> None:
        """Stage an incident event with the incident as it is now."""
        self.pending.append(_Pending(build, replace(incident), service, kwargs))

    def publish_alert(self, event: CloudEvent[Any]) -> None:
        """Stage an alert event."""
        self.pending.append(event)

    def note(self, incident: IncidentState, kind: str, actor: str, **data: Any) -> None:
        """Add a timeline entry."""
        entry = timeline.entry(incident.id, at=self.now, kind=kind, actor=actor, **data)
        self.timeline.append(entry)

    def events(self) -> list[CloudEvent[Any]]:
        """The staged events, in order."""
        return [
            item
            if isinstance(item, CloudEvent)
            else item.build(
                item.incident, item.service, self.affected.get(item.incident.id), **item.kwargs
            )
            for item in self.pending
        ]


async def apply_alerts(
    *, session: AsyncSession, alerts: list[RoutedAlert], now: datetime
) -> list[uuid.UUID | None]:
    """Apply alerts in order; return, for each, the incident it belongs to (None if ignored).

    A firing alert joins its service's open incident, reopens the service's incident
    resolved within the flap window, or opens one; the same firing alert again changes
    nothing but its last-seen time and count; a resolved alert resolves the incident when
    none of its alerts still fires; an acknowledged alert (PagerDuty) acknowledges its
    incident. Stale notifications (a resolution older than the firing it would end, a firing
    older than the last resolution) are counted and otherwise ignored. Events are written
    to the outbox in the order the changes happen.
    """
    batch = _Batch(session, now)
    batch.open = await repository.lock_open_incidents(
        session, {routed.service.id for routed in alerts}
    )
    batch.incidents = {i.id: i for i in batch.open.values()}
    known = await repository.lock_alerts(
        session,
        {(routed.service.id, routed.alert.source, routed.alert.fingerprint) for routed in alerts},
    )
    outcome: list[uuid.UUID | None] = []
    for routed in alerts:
        key = (routed.service.id, routed.alert.source, routed.alert.fingerprint)
        row = known.get(key)
        if row is not None:
            row.received += 1
            row.last_received_at = now
            row.dirty = True
        status = routed.alert.status
        if status == "firing":
            incident_id = await _fire(batch, routed, row, known, key)
        elif status == "resolved":
            incident_id = await _resolve(batch, routed, row)
        else:
            incident_id = await _acknowledge(batch, routed, row)
        outcome.append(incident_id)
    await repository.save_changes(
        session, incidents=batch.incidents.values(), alerts=known.values()
    )
    await impacts.insert_rows(session, batch.impact_rows)
    await timeline.write(session, batch.timeline)
    if batch.pending:
        # Only incident events carry the impacts (alert events do not).
        missing = list(
            dict.fromkeys(
                item.incident.id
                for item in batch.pending
                if isinstance(item, _Pending) and item.incident.id not in batch.affected
            )
        )
        if missing:
            batch.affected.update(await impacts.load(session, missing))
        await events.stage(session, batch.events())
    return outcome


async def _fire(
    batch: _Batch,
    routed: RoutedAlert,
    row: AlertState | None,
    known: dict[repository.AlertKey, AlertState],
    key: repository.AlertKey,
) -> uuid.UUID | None:
    inbound, service, now = routed.alert, routed.service, batch.now
    if row is not None:
        stale = row.ends_at is not None and inbound.starts_at <= row.ends_at
        if row.status == "firing" or stale:
            if row.status == "firing" and inbound.starts_at > row.starts_at:
                # It fired again after a resolution we have not seen (yet): a late
                # resolution of the earlier firing must not end this one.
                row.starts_at = inbound.starts_at
            return row.incident_id if row.status == "firing" else None
    incident = batch.open.get(service.id)
    if incident is None:
        incident = await _reopen_or_open(batch, routed)
    if row is None:
        row = _new_alert(routed, incident, now)
        known[key] = row
    else:
        row.status = "firing"
        row.incident_id = incident.id
        row.component_id = routed.component_id
        row.starts_at = inbound.starts_at
        row.ends_at = None
        row.summary = inbound.summary
        row.severity = inbound.severity
        row.labels = inbound.labels
    incident.firing_alerts += 1
    incident.started_at = min(incident.started_at, inbound.starts_at)
    incident.updated_at = now
    incident.dirty = True
    batch.publish_alert(events.alert_fired(row, service))
    batch.note(
        incident,
        "alert.fired",
        routed.actor,
        source=inbound.source,
        fingerprint=inbound.fingerprint,
        summary=inbound.summary,
        severity=inbound.severity or None,
        starts_at=inbound.starts_at.isoformat(),
    )
    return incident.id


async def _reopen_or_open(batch: _Batch, routed: RoutedAlert) -> IncidentState:
    """The service's incident for a new firing: one resolved within the flap window, or new."""
    service, now, inbound = routed.service, batch.now, routed.alert
    if service.flap_window_seconds > 0:
        # Measured on monitoring's clock: from the last resolution to this firing's start.
        since = inbound.starts_at - timedelta(seconds=service.flap_window_seconds)
        recent = await _recently_resolved(batch, service, since)
        if recent is not None:
            previous = recent.resolved_at
            assert previous is not None
            recent.status = "investigating"
            recent.resolved_at = None
            recent.open_service_id = service.id
            recent.reopened += 1
            recent.version += 1
            recent.updated_at = now
            recent.dirty = True
            batch.open[service.id] = recent
            batch.note(recent, "reopened", routed.actor, previous_resolved_at=previous.isoformat())
            if recent.broadcast:
                # Users were told it had ended: tell them it is back.
                batch.publish(events.reopened, recent, service, previous=previous)
            else:
                await _announce_or_hold(batch, recent, service)
            return recent
    incident = _new_incident(inbound, service, routed.component_id, now)
    batch.incidents[incident.id] = batch.open[service.id] = incident
    batch.affected[incident.id] = affected = await impacts.affected_by(
        batch.session, service, routed.component_id, incident.impact
    )
    batch.impact_rows.extend(impacts.rows(incident.id, affected))
    batch.note(incident, "opened", routed.actor, title=incident.title, impact=incident.impact)
    await _announce_or_hold(batch, incident, service)
    return incident


async def _recently_resolved(
    batch: _Batch, service: Service, since: datetime
) -> IncidentState | None:
    """The service's incident resolved last, at or after ``since``: one this batch resolved
    (its resolution is not in the database yet), else one from the database, locked."""
    in_batch = [
        incident
        for incident in batch.incidents.values()
        if incident.service_id == service.id
        and incident.status == "resolved"
        and incident.resolved_at is not None
        and incident.resolved_at >= since
    ]
    if in_batch:
        return max(in_batch, key=lambda incident: incident.resolved_at or since)
    recent = await repository.lock_recently_resolved(batch.session, service.id, since)
    if recent is None:
        return None
    # Already in this batch (read before, e.g. for an alert of it): use that copy.
    known = batch.incidents.setdefault(recent.id, recent)
    return known if known.status == "resolved" else None


async def _announce_or_hold(batch: _Batch, incident: IncidentState, service: Service) -> None:
    """Tell users about an incident they have not heard of, or hold it back: until an
    announced maintenance window of its service ends, or for the service's delay."""
    now = batch.now
    window = (await maintenance.active_for(batch.session, [service.id], now)).get(service.id)
    if window is not None:
        # Planned work, announced as such: alerts it causes are recorded, not broadcast as an
        # outage. If the trouble outlasts the window, users hear of it when the window ends.
        _hold_back(batch, incident, service, after=window.ends_at)
        batch.note(
            incident,
            "maintenance",
            "candor",
            window_id=str(window.id),
            reason="during announced maintenance; users are told only if it outlasts it",
        )
    elif service.notification_delay_seconds > 0:
        _hold_back(batch, incident, service)
    else:
        incident.broadcast = True
        incident.notify_at = None
        batch.publish(events.opened, incident, service)


def _hold_back(
    batch: _Batch, incident: IncidentState, service: Service, *, after: datetime | None = None
) -> None:
    """Record the incident now; tell users once the service's notification delay has passed
    (counted from ``after``, the end of a maintenance window, if given)."""
    incident.broadcast = False
    start = max(after or batch.now, batch.now)
    incident.notify_at = start + timedelta(seconds=service.notification_delay_seconds)


async def _resolve(batch: _Batch, routed: RoutedAlert, row: AlertState | None) -> uuid.UUID | None:
    inbound, service, now = routed.alert, routed.service, batch.now
    ends_at = inbound.ends_at or now
    # A resolution of an alert never seen firing, seen resolved already, or older than the
    # firing it would end, changes nothing.
    if (
        row is None
        or row.status != "firing"
        or ends_at < row.starts_at
        or inbound.starts_at < row.starts_at
    ):
        return row.incident_id if row is not None else None
    row.status = "resolved"
    row.ends_at = ends_at
    incident = await _incident_of(batch, row)
    incident.firing_alerts = max(incident.firing_alerts - 1, 0)
    incident.updated_at = now
    incident.dirty = True
    batch.publish_alert(events.alert_resolved(row, service))
    batch.note(
        incident,
        "alert.resolved",
        routed.actor,
        source=inbound.source,
        fingerprint=inbound.fingerprint,
        ends_at=ends_at.isoformat(),
    )
    # An incident an operator opened is theirs to resolve: an alert that joined it and
    # cleared does not end it.
    if (
        incident.firing_alerts == 0
        and incident.status != "resolved"
        and incident.opened_by == "alert"
    ):
        incident.status = "resolved"
        incident.resolved_at = ends_at
        incident.open_service_id = None
        incident.version += 1
        if batch.open.get(service.id) is incident:
            del batch.open[service.id]
        if incident.broadcast:
            batch.publish(events.resolved, incident, service)
            batch.note(incident, "resolved", routed.actor)
        else:
            incident.notify_at = None
            batch.note(
                incident,
                "resolved",
                routed.actor,
                broadcast=False,
                reason="cleared within the notification delay; users were not told",
            )
    return incident.id


async def _acknowledge(
    batch: _Batch, routed: RoutedAlert, row: AlertState | None
) -> uuid.UUID | None:
    """A source acknowledged an alert (PagerDuty ``acknowledge``): acknowledge its incident."""
    if row is None or row.status != "firing":
        return row.incident_id if row is not None else None
    incident = await _incident_of(batch, row)
    if incident.status == "resolved" or incident.acknowledged_at is not None:
        return incident.id
    acknowledge(incident, actor=routed.actor, now=batch.now)
    batch.note(incident, "acknowledged", routed.actor)
    if incident.broadcast:
        service = routed.service
        batch.publish(events.updated, incident, service, kind="acknowledged", actor=routed.actor)
    return incident.id


def acknowledge(incident: IncidentState, *, actor: str, now: datetime) -> None:
    """Mark an incident acknowledged (the first acknowledgement counts)."""
    incident.acknowledged_at = now
    incident.acknowledged_by = actor
    incident.version += 1
    incident.updated_at = now
    incident.dirty = True


async def _incident_of(batch: _Batch, row: AlertState) -> IncidentState:
    if row.incident_id not in batch.incidents:
        batch.incidents.update(await repository.lock_incidents(batch.session, [row.incident_id]))
    return batch.incidents[row.incident_id]


def _new_incident(
    inbound: InboundAlert, service: Service, component_id: uuid.UUID | None, now: datetime
) -> IncidentState:
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
        component_id=component_id,
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
        component_id=routed.component_id,
        is_new=True,
    )
