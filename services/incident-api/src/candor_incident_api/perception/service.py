"""Rules of perception reports in incident-api: asking sla-monitor for one, and serving it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.events import service_ref
from candor_incident_api.catalog.models import Service
from candor_incident_api.outbox import publish
from candor_incident_api.perception import repository
from candor_shared.contract import PerceptionReport, PerceptionReportRequested


def request_report(
    *, session: AsyncSession, service: Service, period: str, requested_by: str
) -> None:
    """Ask sla-monitor for the service's perception report of ``period`` (sent after the
    commit, keyed by service id like the monthly report's request)."""
    publish(
        session,
        PerceptionReportRequested(
            service=service_ref(service), period=period, requested_by=requested_by
        ),
        key=str(service.id),
        subject=service.slug,
    )


async def stored_report(
    *, session: AsyncSession, service: Service, period: str
) -> PerceptionReport | None:
    """The newest perception report of ``period`` received for the service."""
    record = await repository.get(session, service_id=str(service.id), period=period)
    return None if record is None else PerceptionReport.model_validate(record.report)
