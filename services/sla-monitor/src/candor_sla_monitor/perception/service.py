"""Rules of perception: what an answer changes in the ledger, and what the perception-gap
report of a month holds and how it leaves sla-monitor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import (
    FeedbackReceived,
    PerceptionReport,
    PerceptionReportPublished,
    ServiceRef,
    new_event,
)
from candor_shared.kafka import add_event
from candor_sla_monitor.ledger import repository as ledger
from candor_sla_monitor.models import OutboxRecord
from candor_sla_monitor.perception import repository
from candor_sla_monitor.perception.figures import perception_of
from candor_sla_monitor.perception.gap import build_perception_report
from candor_sla_monitor.reports import service as reports

SOURCE = "/candor/sla-monitor"


async def record_feedback(
    *, session: AsyncSession, feedback: FeedbackReceived, at: datetime
) -> bool:
    """Keep the answer (unless the respondent's stored one is as recent) and recompute the
    incident's perceived column from all its answers; True when the answer was kept."""
    incident_id = feedback.incident_id
    await repository.lock_incident(
        session,
        incident_id=incident_id,
        service_id=feedback.service.id,
        service_slug=feedback.service.slug,
        now=at,
    )
    perceived = feedback.perceived_downtime
    kept = await repository.put_answer(
        session,
        incident_id=incident_id,
        respondent=feedback.respondent,
        service_id=feedback.service.id,
        service_slug=feedback.service.slug,
        kept_informed=feedback.kept_informed,
        disruption=feedback.disruption,
        adequate_percent=feedback.adequate_percent,
        desired_percent=feedback.desired_percent,
        perceived_seconds=None if perceived is None else round(perceived.total_seconds()),
        answered_at=feedback.answered_at,
    )
    if kept:
        answers = await repository.answers_about(session, [incident_id])
        await repository.set_perceived(
            session, incident_id=incident_id, figures=perception_of(answers), now=at
        )
    return kept


async def perception_report_of(
    *, session: AsyncSession, service: ServiceRef, period: str, now: datetime
) -> PerceptionReport:
    """The perception-gap report of ``service`` for ``period`` as of ``now``: the month's
    report (:func:`..reports.service.report_of`) beside the answers about its incidents.

    Raises what ``report_of`` raises for a month that cannot be reported on.
    """
    report = await reports.report_of(session=session, service=service, period=period, now=now)
    alerts = await ledger.alert_intervals_overlapping(
        session, service_slug=service.slug, start=report.starts_at, end=report.ends_at
    )
    answers = await repository.answers_about(
        session, [incident.id for incident in report.incidents]
    )
    return build_perception_report(report=report, alerts=alerts, answers=answers)


def publish_perception_report(
    session: AsyncSession, report: PerceptionReport, *, requested_by: str | None
) -> None:
    """Stage ``report`` on the SLA topic (keyed by service id) in the session's transaction."""
    event = new_event(
        PerceptionReportPublished(report=report, requested_by=requested_by),
        source=SOURCE,
        key=report.service.id,
        subject=report.service.slug,
    )
    add_event(session, OutboxRecord, event)
