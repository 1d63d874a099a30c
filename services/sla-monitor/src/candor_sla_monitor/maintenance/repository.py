"""Writes and reads of maintenance windows; a write is one upsert with the version check."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import MaintenanceSnapshot
from candor_sla_monitor.maintenance.models import MaintenanceWindow


def _insert(session: AsyncSession) -> Any:
    table = cast(Table, MaintenanceWindow.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def upsert(session: AsyncSession, *, window: MaintenanceSnapshot) -> bool:
    """Record ``window`` unless its version (or a newer one) is recorded; True if it was."""
    values = {
        "version": window.version,
        "status": window.status,
        "service_slugs": sorted({service.slug for service in window.services}),
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "announced_at": window.announced_at,
        "started_at": window.started_at,
        "completed_at": window.completed_at,
        "cancelled_at": window.cancelled_at,
    }
    statement = _insert(session).values(id=window.id, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[MaintenanceWindow.id],
        set_={key: statement.excluded[key] for key in values},
        where=MaintenanceWindow.version < statement.excluded.version,
    ).returning(MaintenanceWindow.id)
    return (await session.execute(statement)).first() is not None


async def overlapping(
    session: AsyncSession, *, service_slug: str, start: datetime, end: datetime
) -> list[MaintenanceWindow]:
    """The service's windows whose real span overlaps ``[start, end)``, cancelled ones
    included, oldest first.

    The span runs from ``started_at`` (else ``starts_at``) to ``completed_at`` (else
    ``ends_at``). Windows are few, so the service is picked out of the JSON list here
    rather than with each database's own JSON operators.
    """
    span_start = func.coalesce(MaintenanceWindow.started_at, MaintenanceWindow.starts_at)
    span_end = func.coalesce(MaintenanceWindow.completed_at, MaintenanceWindow.ends_at)
    rows = await session.scalars(
        select(MaintenanceWindow)
        .where(span_start < end, span_end > start)
        .order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id)
    )
    return [row for row in rows if service_slug in row.service_slugs]
