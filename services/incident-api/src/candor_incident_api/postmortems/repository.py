"""Queries on post-incident reports."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.incidents.models import Incident, TimelineEntry
from candor_incident_api.postmortems.models import IncidentReport

PUBLIC_KINDS = ("opened", "broadcast", "update", "status", "impact", "resolved", "reopened")
"""Timeline entries that may carry what users were told."""
MILESTONES = ("opened", "resolved", "reopened")
"""Entries users were told of even without an operator's message."""


async def get(session: AsyncSession, incident_id: uuid.UUID) -> IncidentReport | None:
    """The incident's report, locked for this transaction, if there is one."""
    return await session.scalar(
        select(IncidentReport).where(IncidentReport.incident_id == incident_id).with_for_update()
    )


def add(session: AsyncSession, row: IncidentReport) -> None:
    """Stage a new report."""
    session.add(row)


async def public_timeline(session: AsyncSession, incident_id: uuid.UUID) -> list[TimelineEntry]:
    """What users were told during the incident, oldest first: its opening, resolution and
    comebacks, and every entry with a public message (internal notes never)."""
    rows = await session.scalars(
        select(TimelineEntry)
        .where(
            TimelineEntry.incident_id == incident_id,
            TimelineEntry.kind.in_(PUBLIC_KINDS),
            or_(TimelineEntry.kind.in_(MILESTONES), TimelineEntry.public_message != ""),
        )
        .order_by(TimelineEntry.at, TimelineEntry.id)
    )
    return list(rows)


async def due_automatic(
    session: AsyncSession, *, resolved_after: datetime, resolved_before: datetime, limit: int
) -> list[uuid.UUID]:
    """Resolved incidents, resolved in (``resolved_after``, ``resolved_before``], whose
    report is not published, oldest resolution first."""
    published = select(IncidentReport.incident_id).where(IncidentReport.published_at.is_not(None))
    rows = await session.scalars(
        select(Incident.id)
        .where(
            Incident.status == "resolved",
            Incident.resolved_at > resolved_after,
            Incident.resolved_at <= resolved_before,
            Incident.id.not_in(published),
        )
        .order_by(Incident.resolved_at, Incident.id)
        .limit(limit)
    )
    return list(rows)
