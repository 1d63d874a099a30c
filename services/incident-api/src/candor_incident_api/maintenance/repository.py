"""Queries on maintenance windows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from candor_incident_api.catalog.models import Service
from candor_incident_api.maintenance.models import MaintenanceService, MaintenanceWindow

IMPACT_RANK: dict[str, int] = {"none": 0, "minor": 1, "major": 2, "critical": 3}


def _in_effect(at: datetime) -> Any:
    """The condition "this window is in effect at ``at``".

    In progress since before ``at`` (an operator may have started it early), or scheduled
    with its start come (the scheduler is about to start it); in both cases not yet ended.
    """
    return and_(
        MaintenanceWindow.ends_at > at,
        or_(
            and_(
                MaintenanceWindow.status == "in_progress",
                func.coalesce(MaintenanceWindow.started_at, MaintenanceWindow.starts_at) <= at,
            ),
            and_(MaintenanceWindow.status == "scheduled", MaintenanceWindow.starts_at <= at),
        ),
    )


async def active_for(
    session: AsyncSession, service_ids: Iterable[uuid.UUID], at: datetime
) -> dict[uuid.UUID, MaintenanceWindow]:
    """The maintenance window in effect at ``at`` for each of ``service_ids`` that has one.

    In effect: in progress (started at or before ``at``), or scheduled with ``starts_at``
    come and not yet started by the scheduler; ``ends_at`` still ahead either way. When
    several windows cover one service, the one of the highest impact wins, then the one
    that ends last. Services without a window are absent from the result.
    """
    ids = list(dict.fromkeys(service_ids))
    if not ids:
        return {}
    query = (
        select(MaintenanceService.service_id, MaintenanceWindow)
        .join(MaintenanceWindow, MaintenanceWindow.id == MaintenanceService.window_id)
        .where(MaintenanceService.service_id.in_(ids), _in_effect(at))
    )
    found: dict[uuid.UUID, MaintenanceWindow] = {}
    for service_id, window in await session.execute(query):
        current = found.get(service_id)
        if current is None or (IMPACT_RANK[window.impact], window.ends_at) > (
            IMPACT_RANK[current.impact],
            current.ends_at,
        ):
            found[service_id] = window
    return found


async def latest_end_in_effect(
    session: AsyncSession, service_ids: Iterable[uuid.UUID], at: datetime
) -> dict[uuid.UUID, datetime]:
    """For each of ``service_ids`` covered at ``at``, when the last window in effect for it
    ends (in effect as in :func:`active_for`). Services without a window are absent."""
    ids = list(dict.fromkeys(service_ids))
    if not ids:
        return {}
    query = (
        select(MaintenanceService.service_id, func.max(MaintenanceWindow.ends_at))
        .join(MaintenanceWindow, MaintenanceWindow.id == MaintenanceService.window_id)
        .where(MaintenanceService.service_id.in_(ids), _in_effect(at))
        .group_by(MaintenanceService.service_id)
    )
    return {service_id: ends_at for service_id, ends_at in await session.execute(query)}


async def get(session: AsyncSession, window_id: uuid.UUID) -> MaintenanceWindow | None:
    """The window with this id, read afresh from the database, if any."""
    query = (
        select(MaintenanceWindow)
        .where(MaintenanceWindow.id == window_id)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def services_of(
    session: AsyncSession, window_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Service]]:
    """The services each window affects, by slug (every id present, maybe with none)."""
    found: dict[uuid.UUID, list[Service]] = {window_id: [] for window_id in window_ids}
    if not window_ids:
        return found
    query = (
        select(MaintenanceService.window_id, Service)
        .join(Service, Service.id == MaintenanceService.service_id)
        .where(MaintenanceService.window_id.in_(window_ids))
        .order_by(Service.slug)
    )
    for window_id, service in await session.execute(query):
        found[window_id].append(service)
    return found


async def set_services(
    session: AsyncSession, window_id: uuid.UUID, service_ids: Sequence[uuid.UUID]
) -> None:
    """Make ``service_ids`` exactly the services the window affects."""
    await session.execute(
        delete(MaintenanceService).where(MaintenanceService.window_id == window_id)
    )
    session.add_all(
        MaintenanceService(window_id=window_id, service_id=service_id) for service_id in service_ids
    )
    await session.flush()


async def list_page(
    session: AsyncSession,
    *,
    status: str | None,
    service: str | None,
    overlapping_from: datetime | None,
    overlapping_to: datetime | None,
    before_id: uuid.UUID | None,
    limit: int,
) -> list[MaintenanceWindow]:
    """Windows newest first (by creation), filtered; a time range keeps windows overlapping it."""
    query = select(MaintenanceWindow).order_by(MaintenanceWindow.id.desc()).limit(limit)
    if status is not None:
        query = query.where(MaintenanceWindow.status == status)
    if service is not None:
        query = query.where(
            MaintenanceWindow.id.in_(
                select(MaintenanceService.window_id)
                .join(Service, Service.id == MaintenanceService.service_id)
                .where(Service.slug == service)
            )
        )
    if overlapping_from is not None:
        query = query.where(MaintenanceWindow.ends_at > overlapping_from)
    if overlapping_to is not None:
        query = query.where(MaintenanceWindow.starts_at < overlapping_to)
    if before_id is not None:
        query = query.where(MaintenanceWindow.id < before_id)
    return list((await session.scalars(query)).all())


async def change_if_unchanged(
    session: AsyncSession, window: MaintenanceWindow, **values: Any
) -> bool:
    """Apply ``values`` and add 1 to the version, only if the row still has the window's
    status and version; then ``window`` shows the change. False when someone else changed
    it first (another request, or another replica's scheduler): nothing was written.

    On PostgreSQL a concurrent writer of the same row waits for the first to commit and then
    finds the condition false, so one transition is never made (nor published) twice.
    """
    new_version = window.version + 1
    result = await session.execute(
        update(MaintenanceWindow)
        .where(
            MaintenanceWindow.id == window.id,
            MaintenanceWindow.status == window.status,
            MaintenanceWindow.version == window.version,
        )
        .values(**values, version=new_version)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    for key, value in {**values, "version": new_version}.items():
        set_committed_value(window, key, value)
    return True


async def due_ids(session: AsyncSession, at: datetime, *, limit: int) -> list[uuid.UUID]:
    """Windows with a transition due at ``at``: scheduled ones whose start has come, and
    in-progress ones whose end has come; the longest overdue first."""
    query = (
        select(MaintenanceWindow.id)
        .where(
            or_(
                and_(MaintenanceWindow.status == "scheduled", MaintenanceWindow.starts_at <= at),
                and_(MaintenanceWindow.status == "in_progress", MaintenanceWindow.ends_at <= at),
            )
        )
        .order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def next_due(session: AsyncSession) -> datetime | None:
    """The earliest time a transition falls due (a start, or the end of a running window)."""
    next_start = await session.scalar(
        select(func.min(MaintenanceWindow.starts_at)).where(MaintenanceWindow.status == "scheduled")
    )
    next_end = await session.scalar(
        select(func.min(MaintenanceWindow.ends_at)).where(MaintenanceWindow.status == "in_progress")
    )
    times = [t for t in (next_start, next_end) if t is not None]
    return min(times) if times else None
