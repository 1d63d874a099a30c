"""The SLA-topic events incident-api keeps: the reports sla-monitor publishes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.reports import repository
from candor_shared.clock import utcnow
from candor_shared.contract import (
    CloudEvent,
    EventData,
    PerceptionReportPublished,
    SlaReportPublished,
)
from candor_shared.kafka import Handler

log = structlog.get_logger(__name__)

Published = TypeVar("Published", SlaReportPublished, PerceptionReportPublished)


def keeping(
    published: type[Published],
    *,
    keep: Callable[..., Awaitable[bool]],
    received_event: str,
    facts: Callable[[Published], dict[str, Any]],
) -> Handler:
    """A handler that keeps the month report an event of type ``published`` carries through
    ``keep`` (which decides whether the stored one stays) and logs ``received_event`` with
    the report's service, month, ``facts`` and whether it was kept."""

    async def on_published(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        if not isinstance(data, published):
            raise TypeError(f"{event.type} carries {type(data).__name__}, not {published.__name__}")
        report = data.report
        kept: bool = await keep(session, report=report, received_at=utcnow())
        log.info(
            received_event,
            service=report.service.slug,
            period=report.period,
            **facts(data),
            requested_by=data.requested_by,
            kept=kept,
        )

    return on_published


def handlers() -> dict[str, Handler]:
    """Handlers by event type, for incident-api's consumer of the SLA topic.

    A report is kept unless the month's stored one is newer or final (and this is not).
    """
    return {
        SlaReportPublished.event_type: keeping(
            SlaReportPublished,
            keep=repository.keep,
            received_event="reports.received",
            facts=lambda data: {"final": data.report.final},
        )
    }
