"""What operators do to incidents: open by hand, acknowledge, post updates, resolve, reopen.

Each action locks the incident row, bumps its ``version`` (the ETag), writes a timeline
entry and publishes an event in the same transaction. Users hear only what is public: an
update's ``public_message``; internal notes stay on the timeline.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from candor_incident_api.catalog.models import Component, Service
from candor_incident_api.dependencies import Operator
from candor_incident_api.errors import ApiError, conflict, not_found
from candor_incident_api.incidents import events, impacts, timeline
from candor_incident_api.incidents.models import Incident
from candor_incident_api.incidents.schemas import IncidentIn, ReopenIn, ResolveIn, UpdateIn
from candor_shared.contract import CloudEvent
from candor_shared.contract.incidents import UpdateKind
from candor_shared.ids import uuid7


async def lock(session: AsyncSession, incident_id: uuid.UUID) -> Incident:
    """The incident, locked for this transaction; 404 if there is none."""
    incident = await session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .options(selectinload(Incident.service))
        .with_for_update()
    )
    if incident is None:
        raise not_found("incident", str(incident_id))
    return incident


async def _stage(session: AsyncSession, event: CloudEvent[Any]) -> None:
    await events.stage(session, [event])


async def _affected(session: AsyncSession, incident: Incident) -> list[impacts.Affected] | None:
    return (await impacts.load(session, [incident.id])).get(incident.id)


def _touch(incident: Incident, now: datetime) -> None:
    incident.version += 1
    incident.updated_at = now


async def open_incident(
    session: AsyncSession, data: IncidentIn, operator: Operator, now: datetime
) -> Incident:
    """Open an incident by hand (an operator saw trouble before monitoring did)."""
    service = await session.scalar(select(Service).where(Service.slug == data.service))
    if service is None:
        raise ApiError(422, "Unknown service", f"body.service: no service {data.service!r}.")
    component_id = None
    if data.component is not None:
        component_id = await session.scalar(
            select(Component.id).where(
                Component.service_id == service.id, Component.slug == data.component
            )
        )
        if component_id is None:
            raise ApiError(
                422,
                "Unknown component",
                f"body.component: service {service.slug!r} has no component {data.component!r}.",
            )
    existing = await session.scalar(
        select(Incident.id).where(Incident.open_service_id == service.id).with_for_update()
    )
    if existing is not None:
        raise conflict(
            f"Service {service.slug!r} already has an open incident ({existing}); post an "
            "update to it instead."
        )
    incident = Incident(
        id=uuid7(),
        service_id=service.id,
        open_service_id=service.id,
        status=data.status,
        impact=data.impact,
        title=data.title,
        summary="",
        started_at=min(data.started_at or now, now),
        opened_at=now,
        resolved_at=None,
        firing_alerts=0,
        version=1,
        updated_at=now,
        component_id=component_id,
        opened_by=operator.name,
        acknowledged_at=now,
        acknowledged_by=operator.name,
        public_message=data.public_message,
        next_update_at=data.next_update_at,
        reopened=0,
        notify_at=None,
        broadcast=True,
    )
    incident.service = service
    session.add(incident)
    await _flush_or_conflict(session, service.slug)
    affected = await impacts.affected_by(session, service, component_id, data.impact)
    await impacts.record(session, incident.id, affected)
    await timeline.write(
        session,
        [
            timeline.entry(
                incident.id,
                at=now,
                kind="opened",
                actor=operator.name,
                public_message=data.public_message,
                internal_note=data.internal_note,
                title=data.title,
                impact=data.impact,
            )
        ],
    )
    await _stage(session, events.opened(incident, service, affected, by="operator"))
    return incident


async def acknowledge(
    session: AsyncSession, incident: Incident, operator: Operator, now: datetime
) -> Incident:
    """Someone is on it. Acknowledging again changes nothing (the first one counts)."""
    if incident.status == "resolved":
        raise conflict("The incident is resolved; reopen it first.")
    if incident.acknowledged_at is not None:
        return incident
    incident.acknowledged_at = now
    incident.acknowledged_by = operator.name
    _touch(incident, now)
    await timeline.write(
        session, [timeline.entry(incident.id, at=now, kind="acknowledged", actor=operator.name)]
    )
    if incident.broadcast:
        affected = await _affected(session, incident)
        await _stage(
            session,
            events.updated(
                incident, incident.service, affected, kind="acknowledged", actor=operator.name
            ),
        )
    return incident


async def post_update(
    session: AsyncSession, incident: Incident, data: UpdateIn, operator: Operator, now: datetime
) -> Incident:
    """A new status, impact, public message, internal note or promised next update."""
    if incident.status == "resolved":
        raise conflict("The incident is resolved; reopen it first, or resolve it again.")
    if data.next_update_at is not None and data.next_update_at <= now:
        raise ApiError(422, "Invalid update", "body.next_update_at: promise a time in the future.")
    kind: UpdateKind = "note"
    if data.impact is not None and data.impact != incident.impact:
        incident.impact = data.impact
        recomputed = await impacts.affected_by(
            session, incident.service, incident.component_id, data.impact
        )
        await impacts.record(session, incident.id, recomputed)
        kind = "impact"
    if data.status is not None and data.status != incident.status:
        incident.status = data.status
        kind = "status"
    if data.public_message:
        incident.public_message = data.public_message
        kind = "update"
    if data.next_update_at is not None:
        incident.next_update_at = data.next_update_at
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
        incident.acknowledged_by = operator.name
    _touch(incident, now)
    await timeline.write(
        session,
        [
            timeline.entry(
                incident.id,
                at=now,
                kind=kind,
                actor=operator.name,
                public_message=data.public_message,
                internal_note=data.internal_note,
                status=data.status,
                impact=data.impact,
                next_update_at=data.next_update_at.isoformat() if data.next_update_at else None,
            )
        ],
    )
    affected = await _affected(session, incident)
    staged: list[CloudEvent[Any]] = []
    if not incident.broadcast and data.public_message:
        # An operator speaking to users ends the notification delay.
        await broadcast_now(session, incident, now, actor=operator.name)
    if incident.broadcast:
        staged.append(
            events.updated(
                incident,
                incident.service,
                affected,
                kind=kind,
                actor=operator.name,
                public_message=data.public_message,
            )
        )
    await events.stage(session, staged)
    return incident


async def resolve(
    session: AsyncSession, incident: Incident, data: ResolveIn, operator: Operator, now: datetime
) -> Incident:
    """The trouble is over, says an operator (even if some alert still fires)."""
    if incident.status == "resolved":
        raise conflict("The incident is already resolved.")
    resolved_at = data.resolved_at or now
    if resolved_at > now or resolved_at < incident.started_at:
        raise ApiError(
            422,
            "Invalid resolution",
            "body.resolved_at: must lie between the incident's start and now.",
        )
    incident.status = "resolved"
    incident.resolved_at = resolved_at
    incident.open_service_id = None
    incident.summary = data.summary
    if data.public_message:
        incident.public_message = data.public_message
    incident.next_update_at = None
    _touch(incident, now)
    await timeline.write(
        session,
        [
            timeline.entry(
                incident.id,
                at=now,
                kind="resolved",
                actor=operator.name,
                public_message=data.public_message,
                internal_note=data.internal_note,
                summary=data.summary,
                broadcast=None if incident.broadcast else False,
            )
        ],
    )
    if incident.broadcast:
        affected = await _affected(session, incident)
        await _stage(session, events.resolved(incident, incident.service, affected, by="operator"))
    else:
        incident.notify_at = None
    return incident


async def reopen(
    session: AsyncSession, incident: Incident, data: ReopenIn, operator: Operator, now: datetime
) -> Incident:
    """The trouble is back: the same incident again, not a new one."""
    if incident.status != "resolved":
        raise conflict("The incident is open; post an update instead.")
    existing = await session.scalar(
        select(Incident.id).where(Incident.open_service_id == incident.service_id)
    )
    if existing is not None:
        raise conflict(f"The service has another open incident ({existing}); update that one.")
    previous = incident.resolved_at
    assert previous is not None
    incident.status = "investigating"
    incident.resolved_at = None
    incident.open_service_id = incident.service_id
    incident.reopened += 1
    if data.public_message:
        incident.public_message = data.public_message
    _touch(incident, now)
    await timeline.write(
        session,
        [
            timeline.entry(
                incident.id,
                at=now,
                kind="reopened",
                actor=operator.name,
                public_message=data.public_message,
                internal_note=data.internal_note,
                previous_resolved_at=previous.isoformat(),
            )
        ],
    )
    await _flush_or_conflict(session, incident.service.slug)
    if not incident.broadcast:
        await broadcast_now(session, incident, now, actor=operator.name)
    else:
        affected = await _affected(session, incident)
        await _stage(
            session, events.reopened(incident, incident.service, affected, previous=previous)
        )
    return incident


async def _flush_or_conflict(session: AsyncSession, slug: str) -> None:
    """Write the incident now: if an alert opened the service's incident meanwhile (the one
    open incident per service is a unique index), answer 409, not 500."""
    try:
        await session.flush()
    except sa_exc.IntegrityError:
        raise conflict(
            f"Service {slug!r} got an open incident in the meantime; update that one."
        ) from None


async def broadcast_now(
    session: AsyncSession, incident: Incident, now: datetime, *, actor: str
) -> None:
    """Tell users about an incident held back by its notification delay."""
    incident.broadcast = True
    incident.notify_at = None
    await timeline.write(
        session, [timeline.entry(incident.id, at=now, kind="broadcast", actor=actor)]
    )
    affected = await _affected(session, incident)
    await _stage(session, events.opened(incident, incident.service, affected))
