"""Published post-incident reports as the public reads them: linked from the past incidents
of the status page and shown on a page of their own.

Only what users were told: the report's words (impact, cause, what was done, follow-up
actions), the incident's public facts and the public messages of its timeline. A report
that is not published, or an incident users were never told of, is not there at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.incidents import impacts
from candor_incident_api.incidents.models import Incident
from candor_incident_api.postmortems import repository as postmortems
from candor_incident_api.postmortems.models import IncidentReport

_TOLD_WITHOUT_MESSAGE = {
    "opened": "The incident was reported.",
    "resolved": "The service was restored.",
    "reopened": "The trouble came back; the incident was reopened.",
}
"""What a milestone says on the page when the operators wrote no message for it."""


@dataclass(frozen=True)
class FollowUp:
    """One action promised so that it does not happen again, and when it was done."""

    action: str
    done_at: datetime | None


@dataclass(frozen=True)
class Told:
    """One message users were told during the incident."""

    at: datetime
    message: str


@dataclass(frozen=True)
class PublicReport:
    """A published report with the incident's public facts."""

    incident_id: uuid.UUID
    title: str
    services: list[str]
    started_at: datetime
    resolved_at: datetime
    published_at: datetime
    impact: str
    cause: str
    what_was_done: str
    follow_ups: list[FollowUp]
    timeline: list[Told]

    @property
    def duration_seconds(self) -> int:
        """How long the incident lasted, in whole seconds."""
        return max(0, int((self.resolved_at - self.started_at).total_seconds()))


def report_path(incident_id: uuid.UUID) -> str:
    """Where the incident's report is read, below the public URL."""
    return f"/status/incidents/{incident_id}/report"


async def published_among(
    session: AsyncSession, incident_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """The incidents among ``incident_ids`` whose report is published."""
    if not incident_ids:
        return set()
    rows = await session.scalars(
        select(IncidentReport.incident_id).where(
            IncidentReport.incident_id.in_(incident_ids), IncidentReport.published_at.is_not(None)
        )
    )
    return set(rows)


async def public_report(session: AsyncSession, incident_id: uuid.UUID) -> PublicReport | None:
    """The published report of an incident users were told of; None otherwise."""
    found = (
        await session.execute(
            select(Incident, IncidentReport)
            .join(IncidentReport, IncidentReport.incident_id == Incident.id)
            .where(
                Incident.id == incident_id,
                Incident.broadcast.is_(True),
                IncidentReport.published_at.is_not(None),
            )
        )
    ).one_or_none()
    if found is None:
        return None
    incident, report = found
    affected = (await impacts.load(session, [incident.id])).get(incident.id, [])
    told = await postmortems.public_timeline(session, incident.id)
    published_at = report.published_at or incident.updated_at
    return PublicReport(
        incident_id=incident.id,
        title=incident.title,
        services=[item.service.name for item in affected],
        started_at=incident.started_at,
        resolved_at=incident.resolved_at or published_at,
        published_at=published_at,
        impact=report.impact,
        cause=report.cause,
        what_was_done=report.what_was_done,
        follow_ups=[
            FollowUp(
                action=str(item["action"]),
                done_at=datetime.fromisoformat(item["done_at"])
                if isinstance(item.get("done_at"), str)
                else None,
            )
            for item in report.follow_ups
        ],
        timeline=[
            Told(at=entry.at, message=entry.public_message or _TOLD_WITHOUT_MESSAGE[entry.kind])
            for entry in told
            if entry.public_message or entry.kind in _TOLD_WITHOUT_MESSAGE
        ],
    )
