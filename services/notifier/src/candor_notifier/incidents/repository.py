"""Queries on incidents and notices."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.incidents.models import Incident, Notice


async def get(session: AsyncSession, incident_id: str) -> Incident | None:
    """The incident with this id, if seen."""
    return await session.get(Incident, incident_id)


def add(session: AsyncSession, row: Incident | Notice) -> None:
    """Stage a new row."""
    session.add(row)


async def get_notices(session: AsyncSession, event_ids: Collection[str]) -> dict[str, Notice]:
    """The notices among ``event_ids``, by event id."""
    if not event_ids:
        return {}
    rows = await session.scalars(select(Notice).where(Notice.event_id.in_(event_ids)))
    return {row.event_id: row for row in rows}


async def opening_notices_of_open_incidents(
    session: AsyncSession, service_slugs: Collection[str]
) -> list[Notice]:
    """The notice that opened each incident still open on one of ``service_slugs``."""
    if not service_slugs:
        return []
    rows = await session.scalars(
        select(Notice)
        .join(Incident, Incident.opened_event_id == Notice.event_id)
        .where(Incident.service_slug.in_(service_slugs), Incident.status != "resolved")
        .order_by(Notice.event_id)
    )
    return list(rows)
