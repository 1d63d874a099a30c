"""Rules of reports in incident-api: which month is meant, asking sla-monitor for a report,
and the stored report as it is served."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository as catalog
from candor_incident_api.catalog.events import service_ref
from candor_incident_api.catalog.models import Service
from candor_incident_api.errors import ApiError, not_found
from candor_incident_api.outbox import publish
from candor_incident_api.reports import repository
from candor_incident_api.subscribers import repository as subscribers
from candor_shared.contract import GroupRef, ServiceReport, SlaReportRequested

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def timezone_of(service: Service, terms: dict[str, Any] | None = None) -> str:
    """Where the service's months begin: its agreement's timezone (or that of ``terms``, a
    group's agreement), else UTC."""
    agreement = service.agreement if terms is None else terms
    timezone = (agreement or {}).get("timezone")
    if not isinstance(timezone, str):
        return "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return timezone


def month_of(
    *, month: str | None, service: Service, now: datetime, terms: dict[str, Any] | None = None
) -> str:
    """The month meant: ``month`` (``YYYY-MM``), or the current one in the service's timezone
    (that of ``terms``, a group's agreement, when given).

    422 for a month outside the years 1971-9998 or one that has not begun yet in the
    service's timezone (nothing can be reported on it).
    """
    timezone = timezone_of(service, terms)
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


async def group_agreement_of(
    session: AsyncSession, *, service: Service, group_id: uuid.UUID
) -> tuple[GroupRef, dict[str, Any]]:
    """The group and the terms of the service's agreement with it; 404 when the group is
    unknown or the service has no agreement with it."""
    group = await subscribers.get_group(session, group_id)
    if group is None:
        raise not_found("group", str(group_id))
    agreement = await catalog.group_agreement(session, service.id, group.id)
    if agreement is None:
        raise ApiError(
            404,
            "Not found",
            f"Service {service.slug!r} has no agreement with group {group.name!r}; set one "
            f"with PUT /v1/services/{service.slug}/agreements/{group.id}.",
        )
    return GroupRef(id=str(group.id), name=group.name), agreement.terms


def request_report(
    *,
    session: AsyncSession,
    service: Service,
    period: str,
    requested_by: str,
    group: GroupRef | None = None,
) -> None:
    """Ask sla-monitor for the service's report of ``period`` (against its agreement with
    ``group`` when given), published after the commit."""
    publish(
        session,
        SlaReportRequested(
            service=service_ref(service), period=period, requested_by=requested_by, group=group
        ),
        key=str(service.id),
        subject=service.slug,
    )


async def stored_report(
    *, session: AsyncSession, service: Service, period: str, group: GroupRef | None = None
) -> ServiceReport | None:
    """The newest report of ``period`` received for the service (against its agreement with
    ``group`` when given), maintenance named by the titles incident-api gave the windows
    (sla-monitor keeps no titles)."""
    record = await repository.get(
        session,
        service_id=str(service.id),
        period=period,
        group_id="" if group is None else group.id,
    )
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
