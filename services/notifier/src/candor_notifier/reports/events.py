"""The report event the notifier handles: a published post-incident report goes to the
incident's audience."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.reports import service
from candor_shared.clock import Clock, utcnow
from candor_shared.contract import (
    CloudEvent,
    EventData,
    IncidentReportActionDone,
    IncidentReportPublished,
    SlaReportPublished,
)
from candor_shared.kafka import Handler

log = structlog.get_logger(__name__)


def handlers(*, message_domain: str, clock: Clock = utcnow) -> dict[str, Handler]:
    """Handlers of post-incident reports (incident topic) and of sla-monitor's reports (SLA
    topic: the standing the post-incident reports quote), by event type."""

    async def on_published(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, IncidentReportPublished)
        with structlog.contextvars.bound_contextvars(incident_id=data.incident.id):
            told = await service.send_report(
                session=session,
                event_id=event.id,
                report=data,
                message_domain=message_domain,
                now=clock(),
            )
            log.info("report.planned", recipients=told, published_by=data.published_by)

    async def on_action_done(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, IncidentReportActionDone)
        with structlog.contextvars.bound_contextvars(incident_id=data.incident.id):
            told = await service.send_action_done(
                session=session,
                event_id=event.id,
                done=data,
                message_domain=message_domain,
                now=clock(),
            )
            log.info("report.action_done_planned", recipients=told, action=data.action.number)

    async def on_sla_report(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, SlaReportPublished)
        kept = await service.keep_standing(session=session, report=data.report)
        log.info(
            "report.standing_seen",
            service=data.report.service.slug,
            period=data.report.period,
            kept=kept,
        )

    return {
        IncidentReportPublished.event_type: on_published,
        IncidentReportActionDone.event_type: on_action_done,
        SlaReportPublished.event_type: on_sla_report,
    }
