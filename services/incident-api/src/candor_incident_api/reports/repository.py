"""Queries on reports; a write is one upsert with the "newer, and final wins" rule inside."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.maintenance.models import MaintenanceWindow
from candor_incident_api.models import Base
from candor_incident_api.reports.models import ServiceReportRecord
from candor_shared.contract import PerceptionReport, ServiceReport

ReplaceWhen = Callable[[Any], ColumnElement[bool]]
"""Given the incoming row (``excluded``), whether it replaces the stored one."""


async def keep_month_report(
    session: AsyncSession,
    *,
    model: type[Base],
    report: ServiceReport | PerceptionReport,
    received_at: datetime,
    replace_when: ReplaceWhen,
) -> bool:
    """Insert ``report`` into ``model``'s table (keyed by service id and month, and group
    where the table has one), or replace
    the stored one where ``replace_when`` holds; True if stored. One statement, so that two
    copies arriving at once cannot both win, on SQLite and PostgreSQL alike."""
    table = cast(Table, model.__table__)
    values = {
        "service_slug": report.service.slug,
        "final": report.final,
        "generated_at": report.generated_at,
        "received_at": received_at,
        "report": report.model_dump(mode="json"),
    }
    insert: Any = (
        postgresql.insert(table)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(table)
    )
    key = {"service_id": report.service.id, "period": report.period}
    if "group_id" in table.c:
        # Reports against a group's agreement are kept apart from the service's own.
        group = getattr(report, "group", None)
        key["group_id"] = "" if group is None else group.id
    statement = insert.values(**key, **values)
    new = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={name: new[name] for name in values},
        where=replace_when(new),
    ).returning(table.c.service_id)
    return (await session.execute(statement)).first() is not None


def _final_then_newer(new: Any) -> ColumnElement[bool]:
    return or_(
        and_(new.final.is_(True), ServiceReportRecord.final.is_(False)),
        and_(
            new.final == ServiceReportRecord.final,
            new.generated_at > ServiceReportRecord.generated_at,
        ),
    )


async def keep(session: AsyncSession, *, report: ServiceReport, received_at: datetime) -> bool:
    """Store ``report`` unless the month's stored report should stay; True if stored.

    It replaces the stored one when it is final and that one is not, or when both are
    equally final and it was generated later: reports may arrive in any order, a
    redelivery changes nothing, and a final report is never replaced by a provisional one.
    """
    return await keep_month_report(
        session,
        model=ServiceReportRecord,
        report=report,
        received_at=received_at,
        replace_when=_final_then_newer,
    )


async def get(
    session: AsyncSession, *, service_id: str, period: str, group_id: str = ""
) -> ServiceReportRecord | None:
    """The stored report of the service for ``period`` (against its own agreement, or with
    ``group_id`` against its agreement with that group), if any."""
    return await session.get(ServiceReportRecord, (service_id, group_id, period))


async def maintenance_titles(session: AsyncSession, ids: Iterable[str]) -> dict[str, str]:
    """The titles of the maintenance windows among ``ids`` (ids that name none are left out)."""
    wanted: list[uuid.UUID] = []
    for text in ids:
        try:
            wanted.append(uuid.UUID(text))
        except ValueError:
            continue
    if not wanted:
        return {}
    rows = await session.execute(
        select(MaintenanceWindow.id, MaintenanceWindow.title).where(
            MaintenanceWindow.id.in_(wanted)
        )
    )
    return {str(window_id): title for window_id, title in rows}
