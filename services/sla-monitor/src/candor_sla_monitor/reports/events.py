"""The SLA-topic event the reports answer: an operator's request for a month's report."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.clock import Clock
from candor_shared.contract import CloudEvent, EventData, SlaReportRequested
from candor_shared.kafka import Handler
from candor_sla_monitor.agreements.repository import UnknownGroupAgreement
from candor_sla_monitor.reports import service
from candor_sla_monitor.reports.builder import PeriodNotBegun
from candor_sla_monitor.reports.periods import BadPeriod

log = structlog.get_logger(__name__)

Report = TypeVar("Report")


async def made_or_dropped(
    making: Awaitable[Report], *, dropped_event: str, slug: str, period: str
) -> Report | None:
    """The report ``making`` makes, or None when its month has not begun, no calendar
    holds it, or the service has no agreement with the group asked for: such a request is
    logged as ``dropped_event`` and dropped, since no retry could answer it."""
    try:
        return await making
    except (PeriodNotBegun, BadPeriod, UnknownGroupAgreement) as exc:
        log.warning(dropped_event, service=slug, period=period, reason=str(exc))
        return None


def handlers(*, clock: Clock) -> dict[str, Handler]:
    """Handlers by event type, for a consumer of the SLA topic; ``clock`` says what now is."""

    async def on_report_requested(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        """Publish the requested month's report as of now (final if the month is over).

        A month that has not begun, or that no calendar holds, has nothing to report: the
        request is logged and dropped, since no retry could answer it.
        """
        data = event.data
        if not isinstance(data, SlaReportRequested):
            raise TypeError(f"{event.type} carries {type(data).__name__}, not SlaReportRequested")
        report = await made_or_dropped(
            service.report_of(
                session=session,
                service=data.service,
                period=data.period,
                now=clock(),
                group=data.group,
            ),
            dropped_event="reports.request_dropped",
            slug=data.service.slug,
            period=data.period,
        )
        if report is None:
            return
        service.publish_report(session, report, requested_by=data.requested_by)
        log.info(
            "reports.published",
            service=data.service.slug,
            period=data.period,
            final=report.final,
            requested_by=data.requested_by,
            group=None if data.group is None else data.group.id,
        )

    return {SlaReportRequested.event_type: on_report_requested}
