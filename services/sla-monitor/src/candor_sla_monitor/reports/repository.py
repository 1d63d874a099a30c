"""Queries of the monthly schedule, and the agreements the reports are made against."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_sla_monitor.agreements.models import Agreement
from candor_sla_monitor.reports.models import MonthlyReport


def _insert(session: AsyncSession) -> Any:
    table = cast(Table, MonthlyReport.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def live_agreements(session: AsyncSession) -> list[Agreement]:
    """Every service the catalog has told sla-monitor about and not deleted."""
    rows = await session.scalars(
        select(Agreement).where(Agreement.deleted.is_(False)).order_by(Agreement.service_slug)
    )
    return list(rows)


async def agreement_of(session: AsyncSession, service_id: str) -> Agreement | None:
    """The live service with this id, if sla-monitor knows it."""
    found = await session.get(Agreement, service_id)
    return None if found is None or found.deleted else found


async def owe(
    session: AsyncSession,
    *,
    service_id: str,
    service_slug: str,
    period: str,
    due_at: datetime,
    group_id: str = "",
) -> bool:
    """Record that the final report of ``period`` (against the service's own agreement, or
    with ``group_id`` its agreement with that group) is owed; False if it was recorded
    before."""
    statement = (
        _insert(session)
        .values(
            service_id=service_id,
            group_id=group_id,
            service_slug=service_slug,
            period=period,
            due_at=due_at,
            published_at=None,
        )
        .on_conflict_do_nothing(index_elements=["service_id", "group_id", "period"])
        .returning(MonthlyReport.service_id)
    )
    return (await session.execute(statement)).first() is not None


async def due(session: AsyncSession, *, now: datetime, limit: int = 100) -> list[MonthlyReport]:
    """Final reports owed by ``now`` to live services, oldest month first."""
    rows = await session.scalars(
        select(MonthlyReport)
        .join(Agreement, Agreement.service_id == MonthlyReport.service_id)
        .where(
            MonthlyReport.published_at.is_(None),
            MonthlyReport.due_at <= now,
            Agreement.deleted.is_(False),
        )
        .order_by(MonthlyReport.due_at, MonthlyReport.service_id, MonthlyReport.group_id)
        .limit(limit)
    )
    return list(rows)


async def claim(
    session: AsyncSession, *, service_id: str, period: str, now: datetime, group_id: str = ""
) -> bool:
    """Mark the final report of ``period`` published, unless someone did; True if this did.

    On PostgreSQL a concurrent claimer waits for this transaction and then finds the row
    taken, so one replica publishes it.
    """
    statement = (
        update(MonthlyReport)
        .where(
            MonthlyReport.service_id == service_id,
            MonthlyReport.group_id == group_id,
            MonthlyReport.period == period,
            MonthlyReport.published_at.is_(None),
        )
        .values(published_at=now)
        .returning(MonthlyReport.service_id)
    )
    return (await session.execute(statement)).first() is not None
