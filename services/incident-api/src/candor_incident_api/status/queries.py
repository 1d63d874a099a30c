"""Reads for the public status page and feeds, from incident-api's own tables.

Only incidents users were told of (``broadcast``) appear: one held back by a notification
delay or a maintenance window is not public yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents import impacts
from candor_incident_api.incidents.models import Incident, TimelineEntry
from candor_incident_api.maintenance.models import MaintenanceService, MaintenanceWindow
from candor_incident_api.status.schemas import (
    AffectedService,
    CurrentIncident,
    PastIncident,
    PublicMaintenance,
    ServiceRef,
    ServiceStatus,
    StatusSummary,
)

PAST_DAYS = 30
PAST_LIMIT = 200
FEED_LIMIT = 100
CANCELLED_KEPT_DAYS = 30
FEED_KINDS = ("opened", "resolved", "reopened")


def _condition(level: str) -> str:
    return "operational" if level in ("", "none") else level


def _worse(first: str, second: str) -> str:
    return first if impacts.LEVELS.index(first) >= impacts.LEVELS.index(second) else second


async def status_summary(session: AsyncSession, *, now: datetime) -> StatusSummary:
    """What the status page shows at ``now``: services, open and past incidents, maintenance."""
    services = list((await session.scalars(select(Service).order_by(Service.name))).all())
    open_incidents = list(
        (
            await session.scalars(
                select(Incident)
                .where(Incident.status != "resolved", Incident.broadcast.is_(True))
                .order_by(Incident.opened_at.desc(), Incident.id.desc())
            )
        ).all()
    )
    past = list(
        (
            await session.scalars(
                select(Incident)
                .where(
                    Incident.status == "resolved",
                    Incident.broadcast.is_(True),
                    Incident.resolved_at >= now - timedelta(days=PAST_DAYS),
                )
                .order_by(Incident.resolved_at.desc(), Incident.id.desc())
                .limit(PAST_LIMIT)
            )
        ).all()
    )
    affected = await impacts.load(session, [i.id for i in open_incidents + past])
    last_told = await _last_public_update(session, [i.id for i in open_incidents])
    windows = await _windows(session, statuses=("scheduled", "in_progress"))

    worst: dict[uuid.UUID, str] = {}
    for incident in open_incidents:
        for item in affected.get(incident.id, []):
            worst[item.service.id] = _worse(worst.get(item.service.id, "none"), item.impact)
    in_maintenance = {
        service.id
        for window, window_services in windows
        if window.status == "in_progress"
        for service in window_services
    }
    service_statuses = [
        ServiceStatus(
            slug=service.slug,
            name=service.name,
            status=_condition(worst.get(service.id, "none")),
            wording=impacts.wording_for(service.impact_wording, worst.get(service.id, "none")),
            under_maintenance=service.id in in_maintenance,
        )
        for service in services
    ]
    overall = "none"
    for level in worst.values():
        overall = _worse(overall, level)
    return StatusSummary(
        generated_at=now,
        status=_condition(overall),
        services=service_statuses,
        incidents=[
            CurrentIncident(
                id=incident.id,
                title=incident.title,
                status=incident.status,
                impact=incident.impact,
                started_at=incident.started_at,
                updated_at=last_told.get(incident.id, incident.opened_at),
                public_message=incident.public_message,
                next_update_at=incident.next_update_at,
                services=[
                    AffectedService(
                        slug=item.service.slug,
                        name=item.service.name,
                        impact=item.impact,
                        wording=impacts.wording_for(item.service.impact_wording, item.impact),
                        via=item.via.slug if item.via else None,
                    )
                    for item in affected.get(incident.id, [])
                ],
            )
            for incident in open_incidents
        ],
        maintenance=[
            PublicMaintenance(
                id=window.id,
                title=window.title,
                description=window.description,
                status=window.status,
                impact=window.impact,
                starts_at=window.starts_at,
                ends_at=window.ends_at,
                services=[ServiceRef(slug=s.slug, name=s.name) for s in window_services],
            )
            for window, window_services in windows
        ],
        past_incidents=[
            PastIncident(
                id=incident.id,
                title=incident.title,
                impact=incident.impact,
                started_at=incident.started_at,
                resolved_at=incident.resolved_at or incident.updated_at,
                duration_seconds=max(
                    0,
                    int(
                        (
                            (incident.resolved_at or incident.updated_at) - incident.started_at
                        ).total_seconds()
                    ),
                ),
                summary=incident.summary,
                services=[
                    ServiceRef(slug=item.service.slug, name=item.service.name)
                    for item in affected.get(incident.id, [])
                ],
            )
            for incident in past
        ],
    )


async def _last_public_update(
    session: AsyncSession, incident_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When each incident's users last got a public message."""
    if not incident_ids:
        return {}
    rows = (
        await session.execute(
            select(TimelineEntry.incident_id, func.max(TimelineEntry.at))
            .where(TimelineEntry.incident_id.in_(incident_ids), TimelineEntry.public_message != "")
            .group_by(TimelineEntry.incident_id)
        )
    ).all()
    return {incident_id: at for incident_id, at in rows if at is not None}


async def _windows(
    session: AsyncSession, *, statuses: Sequence[str], cancelled_since: datetime | None = None
) -> list[tuple[MaintenanceWindow, list[Service]]]:
    """Maintenance windows in ``statuses`` (and those cancelled since ``cancelled_since``),
    soonest first, each with its services by name."""
    condition: ColumnElement[bool] = MaintenanceWindow.status.in_(statuses)
    if cancelled_since is not None:
        condition = or_(
            condition,
            (MaintenanceWindow.status == "cancelled")
            & (MaintenanceWindow.ends_at >= cancelled_since),
        )
    windows = list(
        (
            await session.scalars(
                select(MaintenanceWindow)
                .where(condition)
                .order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id)
            )
        ).all()
    )
    by_window: dict[uuid.UUID, list[Service]] = {w.id: [] for w in windows}
    if windows:
        rows = (
            await session.execute(
                select(MaintenanceService.window_id, Service)
                .join(Service, Service.id == MaintenanceService.service_id)
                .where(MaintenanceService.window_id.in_(list(by_window)))
                .order_by(Service.name)
            )
        ).all()
        for window_id, service in rows:
            by_window[window_id].append(service)
    return [(w, by_window[w.id]) for w in windows]


async def calendar_windows(
    session: AsyncSession, *, now: datetime
) -> list[tuple[MaintenanceWindow, list[Service]]]:
    """Windows for the calendar: scheduled, in progress, and cancelled ones whose planned
    end is less than 30 days ago (so that calendars drop them as cancelled)."""
    return await _windows(
        session,
        statuses=("scheduled", "in_progress"),
        cancelled_since=now - timedelta(days=CANCELLED_KEPT_DAYS),
    )


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One public event of an incident: opened, a public message, resolved or reopened."""

    id: uuid.UUID
    incident_id: uuid.UUID
    at: datetime
    kind: str
    incident_title: str
    incident_status: str
    service_name: str
    public_message: str
    summary: str


async def feed_items(session: AsyncSession, *, limit: int = FEED_LIMIT) -> list[FeedItem]:
    """The public timeline entries of incidents users were told of, newest first."""
    rows = (
        await session.execute(
            select(TimelineEntry, Incident, Service.name)
            .join(Incident, Incident.id == TimelineEntry.incident_id)
            .join(Service, Service.id == Incident.service_id)
            .where(
                Incident.broadcast.is_(True),
                or_(TimelineEntry.kind.in_(FEED_KINDS), TimelineEntry.public_message != ""),
            )
            .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        FeedItem(
            id=entry.id,
            incident_id=incident.id,
            at=entry.at,
            kind=entry.kind,
            incident_title=incident.title,
            incident_status=incident.status,
            service_name=service_name,
            public_message=entry.public_message,
            summary=incident.summary if entry.kind == "resolved" else "",
        )
        for entry, incident, service_name in rows
    ]
