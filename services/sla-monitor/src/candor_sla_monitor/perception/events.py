"""The events perception handles: answers (incident topic, in the ledger's consumer) and
requests for a perception-gap report (SLA topic, in the reports' consumer)."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.clock import Clock
from candor_shared.contract import (
    CloudEvent,
    EventData,
    FeedbackReceived,
    PerceptionReportRequested,
)
from candor_shared.kafka import Handler
from candor_sla_monitor.perception import service
from candor_sla_monitor.reports.events import made_or_dropped

log = structlog.get_logger(__name__)


async def on_feedback(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
    """Fill the incident's perceived column with the answer."""
    data = event.data
    if not isinstance(data, FeedbackReceived):
        raise TypeError(f"{event.type} carries {type(data).__name__}, not FeedbackReceived")
    kept = await service.record_feedback(session=session, feedback=data, at=event.time)
    log.info(
        "perception.answer",
        incident_id=data.incident_id,
        service=data.service.slug,
        kept=kept,
    )


def ledger_handlers() -> dict[str, Handler]:
    """Handlers by event type, for the ledger's consumer of the incident topic."""
    return {FeedbackReceived.event_type: on_feedback}


def report_handlers(*, clock: Clock) -> dict[str, Handler]:
    """Handlers by event type, for the reports' consumer of the SLA topic; ``clock`` says
    what now is."""

    async def on_requested(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        """Publish the requested month's perception report as of now.

        A month that has not begun, or that no calendar holds, has nothing to report: the
        request is logged and dropped, since no retry could answer it.
        """
        data = event.data
        if not isinstance(data, PerceptionReportRequested):
            raise TypeError(
                f"{event.type} carries {type(data).__name__}, not PerceptionReportRequested"
            )
        report = await made_or_dropped(
            service.perception_report_of(
                session=session, service=data.service, period=data.period, now=clock()
            ),
            dropped_event="perception.request_dropped",
            slug=data.service.slug,
            period=data.period,
        )
        if report is None:
            return
        service.publish_perception_report(session, report, requested_by=data.requested_by)
        log.info(
            "perception.report_published",
            service=data.service.slug,
            period=data.period,
            facts=report.facts,
            perception=report.perception,
            flags=report.flags,
        )

    return {PerceptionReportRequested.event_type: on_requested}
