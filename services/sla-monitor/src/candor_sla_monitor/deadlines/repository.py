"""Queries on the deadlines' tables.

Rows of one incident are read ``FOR UPDATE`` while they are re-evaluated, and due deadlines
``FOR UPDATE SKIP LOCKED`` while they fire, so that on PostgreSQL two replicas never decide
or fire one deadline twice. SQLite has no row locks (SQLAlchemy leaves the clause out); there
the write lock every transaction takes at BEGIN serializes the same work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_sla_monitor.agreements.models import Agreement
from candor_sla_monitor.deadlines.models import Communication, IncidentDeadline, TrackedIncident


def _insert(session: AsyncSession, model: type[TrackedIncident | Communication]) -> Any:
    table = cast(Table, model.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def tracked(session: AsyncSession, incident_id: str) -> TrackedIncident | None:
    """The incident as the deadlines know it, locked until the transaction ends."""
    rows = await session.scalars(
        select(TrackedIncident).where(TrackedIncident.incident_id == incident_id).with_for_update()
    )
    return rows.first()


async def insert_tracked(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a tracked incident unless one with its id exists; True when inserted."""
    statement = (
        _insert(session, TrackedIncident)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[TrackedIncident.incident_id])
        .returning(TrackedIncident.incident_id)
    )
    return (await session.execute(statement)).first() is not None


async def tracked_many(
    session: AsyncSession, incident_ids: Iterable[str]
) -> dict[str, TrackedIncident]:
    """Tracked incidents by id (those known among ``incident_ids``)."""
    ids = sorted(set(incident_ids))
    if not ids:
        return {}
    rows = await session.scalars(
        select(TrackedIncident).where(TrackedIncident.incident_id.in_(ids))
    )
    return {row.incident_id: row for row in rows}


async def open_incident_ids(session: AsyncSession, service_id: str) -> list[str]:
    """Ids of the service's incidents open now, oldest first."""
    rows = await session.scalars(
        select(TrackedIncident.incident_id)
        .where(TrackedIncident.service_id == service_id, TrackedIncident.ended_at.is_(None))
        .order_by(TrackedIncident.opened_at)
    )
    return list(rows)


async def agreement_terms(session: AsyncSession, service_id: str) -> dict[str, Any] | None:
    """The stored terms of the service's agreement (None: no agreement, or deleted)."""
    terms: dict[str, Any] | None = await session.scalar(
        select(Agreement.terms).where(
            Agreement.service_id == service_id, Agreement.deleted.is_(False)
        )
    )
    return terms


async def agreement_row(session: AsyncSession, service_id: str) -> Agreement | None:
    """The service's live agreements row (its own terms and its groups'), if any."""
    found = await session.get(Agreement, service_id)
    return None if found is None or found.deleted else found


async def add_communication(
    session: AsyncSession, *, incident_id: str, ref: str, kind: str, at: datetime
) -> bool:
    """Record that users were told something; False when ``ref`` was recorded before."""
    statement = (
        _insert(session, Communication)
        .values(incident_id=incident_id, ref=ref, kind=kind, at=at)
        .on_conflict_do_nothing(index_elements=[Communication.incident_id, Communication.ref])
        .returning(Communication.ref)
    )
    return (await session.execute(statement)).first() is not None


async def communication_times(session: AsyncSession, incident_id: str) -> list[datetime]:
    """When users were told something about the incident, in order."""
    rows = await session.scalars(
        select(Communication.at)
        .where(Communication.incident_id == incident_id)
        .order_by(Communication.at)
    )
    return list(rows)


async def last_communication(
    session: AsyncSession, incident_id: str, *, until: datetime
) -> datetime | None:
    """When users last heard about the incident, up to ``until`` (None: never)."""
    found: datetime | None = await session.scalar(
        select(func.max(Communication.at)).where(
            Communication.incident_id == incident_id, Communication.at <= until
        )
    )
    return found


async def deadlines_of(
    session: AsyncSession, incident_id: str, *, lock: bool = False
) -> list[IncidentDeadline]:
    """The incident's deadlines by term and round (locked, if ``lock``)."""
    statement = (
        select(IncidentDeadline)
        .where(IncidentDeadline.incident_id == incident_id)
        .order_by(IncidentDeadline.term, IncidentDeadline.round)
    )
    if lock:
        statement = statement.with_for_update()
    return list(await session.scalars(statement))


async def due(session: AsyncSession, *, now: datetime, limit: int) -> list[IncidentDeadline]:
    """Up to ``limit`` deadlines owing an event due by ``now``, earliest first, locked;
    on PostgreSQL rows another replica holds are skipped, never waited for."""
    return list(
        await session.scalars(
            select(IncidentDeadline)
            .where(IncidentDeadline.next_fire_at <= now)
            .order_by(IncidentDeadline.next_fire_at, IncidentDeadline.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


async def next_fire_at(session: AsyncSession) -> datetime | None:
    """The earliest instant at which any deadline owes an event (None: none owed)."""
    found: datetime | None = await session.scalar(select(func.min(IncidentDeadline.next_fire_at)))
    return found


async def started_between(
    session: AsyncSession,
    *,
    service_slug: str,
    start: datetime,
    end: datetime,
    group_id: str | None = None,
) -> list[IncidentDeadline]:
    """The deadlines of the service's own agreement (or, with ``group_id``, of its agreement
    with that group) whose clock started in ``[start, end)``, in order."""
    whose = (
        IncidentDeadline.group_id.is_(None)
        if not group_id
        else IncidentDeadline.group_id == group_id
    )
    return list(
        await session.scalars(
            select(IncidentDeadline)
            .where(
                whose,
                IncidentDeadline.service_slug == service_slug,
                IncidentDeadline.started_at >= start,
                IncidentDeadline.started_at < end,
            )
            .order_by(
                IncidentDeadline.started_at, IncidentDeadline.incident_id, IncidentDeadline.id
            )
        )
    )
