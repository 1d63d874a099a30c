"""Rules of post-incident reports.

- Operators write the report (impact in users' words, cause, what was done, follow-up
  actions) as often as they like until it is published; a published report is not rewritten,
  but its follow-up actions can still be marked done: that shows on the report, and users
  hear when an action becomes done.
- It is published once, for a resolved incident: :class:`IncidentReportPublished` goes
  through the outbox in the same transaction, with the public timeline (what users were
  told, never internal notes), and the incident's timeline records it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api import outbox
from candor_incident_api.errors import conflict, not_found
from candor_incident_api.incidents import events, impacts, timeline
from candor_incident_api.incidents.models import Incident
from candor_incident_api.postmortems import repository
from candor_incident_api.postmortems.models import IncidentReport
from candor_incident_api.postmortems.schemas import FollowUpOut, ReportIn, ReportOut
from candor_shared.contract import (
    FollowUpAction,
    IncidentReportActionDone,
    IncidentReportPublished,
    ReportTimelineEntry,
)

AUTOMATIC = "automatic"


def out(report: IncidentReport) -> ReportOut:
    """The report as the API shows it."""
    return ReportOut(
        incident_id=report.incident_id,
        impact=report.impact,
        cause=report.cause,
        what_was_done=report.what_was_done,
        follow_ups=[
            FollowUpOut(number=number, action=item["action"], done_at=_done_at(item))
            for number, item in enumerate(report.follow_ups, start=1)
        ],
        version=report.version,
        updated_by=report.updated_by,
        updated_at=report.updated_at,
        published_at=report.published_at,
        published_by=report.published_by,
    )


def _done_at(item: dict[str, object]) -> datetime | None:
    value = item.get("done_at")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


async def get(*, session: AsyncSession, incident: Incident) -> IncidentReport:
    """The incident's report; 404 when none was written."""
    report = await repository.get(session, incident.id)
    if report is None:
        raise not_found("report of incident", str(incident.id))
    return report


async def write(
    *, session: AsyncSession, incident: Incident, data: ReportIn, author: str, now: datetime
) -> tuple[IncidentReport, bool]:
    """Write the report (a new one, or over the draft). Returns it and whether it is new;
    409 once it is published."""
    report = await repository.get(session, incident.id)
    created = report is None
    if report is None:
        report = IncidentReport(incident_id=incident.id, version=0, follow_ups=[])
        repository.add(session, report)
    elif report.published_at is not None:
        raise conflict(
            "This report was published and is not rewritten; mark its follow-up actions done "
            "with PATCH /v1/incidents/{id}/report/actions/{n}."
        )
    report.impact = data.impact.strip()
    report.cause = data.cause.strip()
    report.what_was_done = data.what_was_done.strip()
    report.follow_ups = [{"action": action.strip(), "done_at": None} for action in data.follow_ups]
    report.version += 1
    report.updated_by = author
    report.updated_at = now
    return report, created


async def mark_action(
    *,
    session: AsyncSession,
    incident: Incident,
    number: int,
    done: bool,
    author: str,
    now: datetime,
) -> IncidentReport:
    """Mark follow-up action ``number`` (from 1) done now, or not done; 404 when there is no
    such action. Marking a done action done again keeps its first time. Once the report is
    published, an action becoming done is told to users
    (:class:`IncidentReportActionDone`); undoing it tells nobody."""
    report = await get(session=session, incident=incident)
    if not 1 <= number <= len(report.follow_ups):
        raise not_found("follow-up action", str(number))
    actions = [dict(item) for item in report.follow_ups]
    item = actions[number - 1]
    newly_done = done and item.get("done_at") is None
    if newly_done:
        item["done_at"] = now.isoformat()
    elif not done:
        item["done_at"] = None
    report.follow_ups = actions
    report.version += 1
    report.updated_by = author
    report.updated_at = now
    await timeline.write(
        session,
        [
            timeline.entry(
                incident.id,
                at=now,
                kind="report.action",
                actor=author,
                action=number,
                done=done,
            )
        ],
    )
    if newly_done and report.published_at is not None:
        # Users read the report: they hear of what was done since (marking it again does not
        # tell them again; only undoing it and doing it again would).
        affected = (await impacts.load(session, [incident.id])).get(incident.id)
        outbox.publish(
            session,
            IncidentReportActionDone(
                incident=events.snapshot(incident, incident.service, affected),
                action=FollowUpAction(number=number, action=item["action"], done_at=now),
                remaining=sum(1 for other in actions if other.get("done_at") is None),
            ),
            key=str(incident.id),
            subject=incident.service.slug,
        )
    return report


async def publish(
    *,
    session: AsyncSession,
    incident: Incident,
    by: str,
    now: datetime,
    automatic: bool = False,
) -> IncidentReport:
    """Publish the report to the incident's users (the event, through the outbox), once.

    409 while the incident is not resolved or when the report was published already; 404
    when an operator publishes a report never written. ``automatic`` publishes the facts
    known so far, writing an empty report if none exists.
    """
    if incident.status != "resolved":
        raise conflict("Only a resolved incident's report can be published; resolve it first.")
    report = await repository.get(session, incident.id)
    if report is None:
        if not automatic:
            raise not_found("report of incident", str(incident.id))
        report = IncidentReport(
            incident_id=incident.id,
            version=1,
            follow_ups=[],
            impact="",
            cause="",
            what_was_done="",
            updated_by=by,
            updated_at=now,
        )
        repository.add(session, report)
    if report.published_at is not None:
        raise conflict("This report was published already.")
    report.published_at = now
    report.published_by = by
    told = await repository.public_timeline(session, incident.id)
    affected = (await impacts.load(session, [incident.id])).get(incident.id)
    published_by: Literal["operator", "automatic"] = "automatic" if automatic else "operator"
    data = IncidentReportPublished(
        incident=events.snapshot(incident, incident.service, affected),
        published_at=now,
        published_by=published_by,
        impact=report.impact,
        cause=report.cause,
        what_was_done=report.what_was_done,
        follow_ups=[
            FollowUpAction(number=number, action=item["action"], done_at=_done_at(item))
            for number, item in enumerate(report.follow_ups, start=1)
        ],
        timeline=[
            ReportTimelineEntry(
                at=entry.at,
                kind=entry.kind,
                message=entry.public_message or str(entry.data.get("summary") or ""),
            )
            for entry in told
        ],
    )
    outbox.publish(session, data, key=str(incident.id), subject=incident.service.slug)
    await timeline.write(session, [timeline.entry(incident.id, at=now, kind="report", actor=by)])
    return report
