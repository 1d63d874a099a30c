"""Queries on incidents and alerts."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents.models import Alert, Incident

AlertKey = tuple[uuid.UUID, str, str]


async def open_incidents_by_service(
    session: AsyncSession, service_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Incident]:
    """The open incident of each service that has one, locked for this transaction."""
    if not service_ids:
        return {}
    rows = await session.scalars(
        select(Incident)
        .where(Incident.open_service_id.in_(service_ids))
        .order_by(Incident.id)
        .with_for_update()
    )
    return {incident.service_id: incident for incident in rows}


async def alerts_by_key(session: AsyncSession, keys: Collection[AlertKey]) -> dict[AlertKey, Alert]:
    """The known alerts among ``keys`` (service id, source, fingerprint), locked."""
    if not keys:
        return {}
    service_ids = {key[0] for key in keys}
    fingerprints = {key[2] for key in keys}
    rows = await session.scalars(
        select(Alert)
        .where(Alert.service_id.in_(service_ids), Alert.fingerprint.in_(fingerprints))
        .order_by(Alert.id)
        .with_for_update()
    )
    wanted = set(keys)
    found: dict[AlertKey, Alert] = {}
    for alert in rows:
        key = (alert.service_id, alert.source, alert.fingerprint)
        if key in wanted:
            found[key] = alert
    return found


async def get_incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident | None:
    """One incident with its service."""
    return await session.scalar(
        select(Incident).where(Incident.id == incident_id).options(selectinload(Incident.service))
    )


async def get_incidents(
    session: AsyncSession, incident_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Incident]:
    """Several incidents by id, locked."""
    if not incident_ids:
        return {}
    rows = await session.scalars(
        select(Incident).where(Incident.id.in_(incident_ids)).with_for_update()
    )
    return {incident.id: incident for incident in rows}


async def list_incidents(
    session: AsyncSession,
    *,
    service: str | None,
    status: str | None,
    opened_after: datetime | None,
    opened_before: datetime | None,
    before_id: uuid.UUID | None,
    limit: int,
) -> list[Incident]:
    """Incidents newest first, filtered, continuing before ``before_id``."""
    query = (
        select(Incident)
        .options(selectinload(Incident.service))
        .order_by(Incident.id.desc())
        .limit(limit)
    )
    if service is not None:
        query = query.join(Service, Service.id == Incident.service_id).where(
            Service.slug == service
        )
    if status == "open":
        query = query.where(Incident.status != "resolved")
    elif status is not None:
        query = query.where(Incident.status == status)
    if opened_after is not None:
        query = query.where(Incident.opened_at >= opened_after)
    if opened_before is not None:
        query = query.where(Incident.opened_at < opened_before)
    if before_id is not None:
        query = query.where(Incident.id < before_id)
    return list((await session.scalars(query)).all())


async def alerts_of(session: AsyncSession, incident_id: uuid.UUID, limit: int) -> list[Alert]:
    """The alerts of an incident, oldest first."""
    return list(
        (
            await session.scalars(
                select(Alert)
                .where(Alert.incident_id == incident_id)
                .order_by(Alert.id)
                .limit(limit)
            )
        ).all()
    )
