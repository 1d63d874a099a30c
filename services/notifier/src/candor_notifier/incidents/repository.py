"""Queries on incidents and notices."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.deliveries.models import Delivery
from candor_notifier.incidents.models import Incident, Notice

HOLDING = "holding"


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


async def mark_first_delivered(session: AsyncSession, *, event_id: str, at: datetime) -> bool:
    """Set the notice's ``first_delivered_at`` unless it is set. True when this call set it.

    One conditional UPDATE, so that of two senders recording deliveries of the same notice at
    once exactly one sees True: on PostgreSQL the second waits for the first's row lock and
    then finds the column set; on SQLite the write lock taken at BEGIN serializes them.
    """
    result = await session.execute(
        update(Notice)
        .where(Notice.event_id == event_id, Notice.first_delivered_at.is_(None))
        .values(first_delivered_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def newest_change(session: AsyncSession, incident_id: str) -> Notice | None:
    """The notice of the newest version of the incident (holding updates left out)."""
    return await session.scalar(
        select(Notice)
        .where(Notice.incident_id == incident_id, Notice.kind != HOLDING)
        .order_by(Notice.incident_version.desc(), Notice.created_at.desc())
        .limit(1)
    )


async def holding_planned_after(
    session: AsyncSession, *, incident_id: str, after: datetime
) -> bool:
    """True when a holding update about the incident was planned after ``after`` and is still
    planned or went out (a dropped one has no deliveries left).

    With several agreements (the service's own, a group's), each deadline asks for its own
    holding update; the incident's audience is the same, so one planned since this
    deadline's clock started answers them all. One first delivered at ``after`` or before
    is the one that started the clock, and does not count.
    """
    planned = exists().where(Delivery.event_id == Notice.event_id)
    found = await session.scalar(
        select(Notice.event_id)
        .where(
            Notice.incident_id == incident_id,
            Notice.kind == HOLDING,
            Notice.created_at > after,
            or_(Notice.first_delivered_at.is_(None), Notice.first_delivered_at > after),
            planned,
        )
        .limit(1)
    )
    return found is not None


async def told_users_after(session: AsyncSession, *, incident_id: str, after: datetime) -> bool:
    """True when a notice about the incident other than a holding update, made after
    ``after``, was planned for someone (a change that told nobody does not count).

    A notice made at ``after`` or first delivered by then is the one that started the
    clock: both of its times are compared, as sla-monitor may start the clock at either.
    """
    told = exists().where(Delivery.event_id == Notice.event_id)
    found = await session.scalar(
        select(Notice.event_id)
        .where(
            Notice.incident_id == incident_id,
            Notice.kind != HOLDING,
            func.coalesce(Notice.occurred_at, Notice.created_at) > after,
            or_(Notice.first_delivered_at.is_(None), Notice.first_delivered_at > after),
            told,
        )
        .limit(1)
    )
    return found is not None
