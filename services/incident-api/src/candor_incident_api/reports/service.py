"""Rules of reports in incident-api: which month is meant, asking sla-monitor for a report,
and the stored report as it is served."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.events import service_ref
from candor_incident_api.catalog.models import Service
from candor_incident_api.errors import ApiError
from candor_incident_api.outbox import publish
from candor_incident_api.reports import repository
from candor_shared.contract import ServiceReport, SlaReportRequested

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def timezone_of(service: Service) -> str:
    """Where the service's months begin: its agreement's timezone, else UTC."""
    timezone = (service.agreement or {}).get("timezone")
    if not isinstance(timezone, str):
        return "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return timezone


def month_of(*, month: str | None, service: Service, now: datetime) -> str:
    """The month meant: ``month`` (``YYYY-MM``), or the current one in the service's timezone.

    422 for a month outside the years 1971-9998 or one that has not begun yet in the
    service's timezone (nothing can be reported on it).
    """
    timezone = timezone_of(service)
    local_now = now.astimezone(ZoneInfo(timezone))
    if month is None:
        return f"{local_now.year:04d}-{local_now.month:02d}"
    if not re.match(MONTH_PATTERN, month):
        raise ApiError(
            422, "Invalid request", f"query.month: {month!r} is not a month; send YYYY-MM"
        )
    year, number = int(month[:4]), int(month[5:])
    if not 1971 <= year <= 9998:
        raise ApiError(
            422, "Invalid request", f"query.month: {month}: send a month between 1971 and 9998"
        )
    if (year, number) > (local_now.year, local_now.month):
        raise ApiError(
            422,
            "Invalid request",
            f"query.month: {month} has not begun in {timezone}; send this month "
            f"({local_now.year:04d}-{local_now.month:02d}) or an earlier one",
        )
    return month


def request_report(
    *, session: AsyncSession, service: Service, period: str, requested_by: str
) -> None:
    """Ask sla-monitor for the service's report of ``period`` (published after the commit)."""
    publish(
        session,
        SlaReportRequested(service=service_ref(service), period=period, requested_by=requested_by),
        key=str(service.id),
        subject=service.slug,
    )


async def stored_report(
    *, session: AsyncSession, service: Service, period: str
) -> ServiceReport | None:
    """The newest report of ``period`` received for the service, maintenance named by the
    titles incident-api gave the windows (sla-monitor keeps no titles)."""
    record = await repository.get(session, service_id=str(service.id), period=period)
    if record is None:
        return None
    report = ServiceReport.model_validate(record.report)
    untitled = [item.id for item in report.maintenance if not item.title]
    if not untitled:
        return report
    titles = await repository.maintenance_titles(session, untitled)
    return report.model_copy(
        update={
            "maintenance": [
                item.model_copy(update={"title": item.title or titles.get(item.id, "")})
                for item in report.maintenance
            ]
        }
    )
