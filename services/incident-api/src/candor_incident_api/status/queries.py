"""Reads for the public status page and feeds, from incident-api's own tables.

Only incidents users were told of (``broadcast``) appear: one held back by a notification
delay or a maintenance window is not public yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents import impacts
from candor_incident_api.incidents.models import Alert, Incident, TimelineEntry
from candor_incident_api.maintenance.models import MaintenanceService, MaintenanceWindow
from candor_incident_api.status import reports, uptime
from candor_incident_api.status.schemas import (
    AffectedService,
    CurrentIncident,
    PastIncident,
    PublicMaintenance,
    ServiceRef,
    ServiceStatus,
    StatusSummary,
    UptimeDay,
)
from candor_shared.intervals import Interval

PAST_DAYS = 30
PAST_LIMIT = 200
FEED_LIMIT = 100
CANCELLED_KEPT_DAYS = 30
FEED_KINDS = ("opened", "resolved", "reopened")


def _condition(level: str) -> str:
    return "operational" if level in ("", "none") else level


def _worse(first: str, second: str) -> str:
    return first if impacts.LEVELS.index(first) >= impacts.LEVELS.index(second) else second


async def status_summary(
    session: AsyncSession, *, now: datetime, public_url: str = ""
) -> StatusSummary:
    """What the status page shows at ``now``: services, open and past incidents, maintenance;
    links (to published reports) start with ``public_url``."""
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
    down = await alert_intervals(session, since=uptime.day_start(uptime.first_day(now)), now=now)
    report_urls = await _report_urls(session, [i.id for i in past], public_url.rstrip("/"))

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
    service_statuses = []
    for service in services:
        days = uptime.daily_availability(
            down.get(service.id, []), known_since=service.created_at, now=now
        )
        service_statuses.append(
            ServiceStatus(
                slug=service.slug,
                name=service.name,
                status=_condition(worst.get(service.id, "none")),
                wording=impacts.wording_for(service.impact_wording, worst.get(service.id, "none")),
                under_maintenance=service.id in in_maintenance,
                uptime_90d_percent=uptime.overall_percent(days),
                uptime_90d=[
                    UptimeDay(
                        day=day.day,
                        percent=day.percent,
                        downtime_seconds=None
                        if day.downtime is None
                        else int(day.downtime.total_seconds()),
                    )
                    for day in days
                ],
            )
        )
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
                report_url=report_urls.get(incident.id),
            )
            for incident in past
        ],
    )


def _measured() -> ColumnElement[bool]:
    """Alerts of incidents that count on the uptime bars: those users were told of, and
    those that ended without being told (a blip shorter than the notification delay, trouble
    within announced maintenance). An incident still held back is not public yet: counting
    its alerts would announce it on the bars before it is announced."""
    return or_(Incident.broadcast.is_(True), Incident.status == "resolved")


async def alert_intervals(
    session: AsyncSession, *, since: datetime, now: datetime
) -> dict[uuid.UUID, list[Interval]]:
    """Each service's alert intervals that overlap ``[since, now)``, all services at once.

    The alerts table keeps the latest firing of each alert (a firing again overwrites its
    start and end); the incidents' timelines keep every firing (``alert.fired`` with its
    start, then ``alert.resolved`` with its end). Both are read, in two queries whatever the
    number of services and days; an interval found in both counts once when measured.
    """
    result: dict[uuid.UUID, list[Interval]] = {}
    latest = (
        await session.execute(
            select(Alert.service_id, Alert.starts_at, Alert.ends_at)
            .join(Incident, Incident.id == Alert.incident_id)
            .where(
                Alert.starts_at < now,
                or_(Alert.ends_at.is_(None), Alert.ends_at > since),
                _measured(),
            )
        )
    ).all()
    for service_id, starts_at, ends_at in latest:
        result.setdefault(service_id, []).append(Interval(starts_at, ends_at))
    notes = (
        await session.execute(
            select(
                Incident.service_id,
                TimelineEntry.incident_id,
                TimelineEntry.kind,
                TimelineEntry.data,
            )
            .join(Incident, Incident.id == TimelineEntry.incident_id)
            .where(
                TimelineEntry.kind.in_(("alert.fired", "alert.resolved")),
                or_(Incident.resolved_at.is_(None), Incident.resolved_at >= since),
                _measured(),
            )
            .order_by(TimelineEntry.at, TimelineEntry.id)
        )
    ).all()
    for service_id, interval in _firings(notes):
        if interval.start < now and (interval.end is None or interval.end > since):
            result.setdefault(service_id, []).append(interval)
    return result


def _firings(notes: Sequence[Any]) -> list[tuple[uuid.UUID, Interval]]:
    """Pair each ``alert.resolved`` note with the ``alert.fired`` note of the same alert
    before it in the same incident, oldest first. A firing not resolved yet is left out: it
    is the alert's latest firing, which the alerts table holds with its current start."""
    fired: dict[tuple[uuid.UUID, str, str], datetime] = {}
    intervals: list[tuple[uuid.UUID, Interval]] = []
    for service_id, incident_id, kind, data in notes:
        key = (incident_id, str(data.get("source", "")), str(data.get("fingerprint", "")))
        moment = _time(data.get("starts_at" if kind == "alert.fired" else "ends_at"))
        if moment is None:
            continue
        if kind == "alert.fired":
            fired[key] = moment
        elif key in fired:
            intervals.append((service_id, Interval(fired.pop(key), moment)))
    return intervals


def _time(value: object) -> datetime | None:
    """A time written in a timeline note (ISO 8601 with offset), or None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


async def _report_urls(
    session: AsyncSession, incident_ids: Sequence[uuid.UUID], public_url: str
) -> dict[uuid.UUID, str]:
    """Where users can read each past incident's post-incident report: only published ones."""
    published = await reports.published_among(session, incident_ids)
    return {incident_id: public_url + reports.report_path(incident_id) for incident_id in published}


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
