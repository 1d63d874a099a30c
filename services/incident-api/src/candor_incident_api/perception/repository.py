"""Queries on perception reports; a write is one upsert that keeps the newest report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.perception.models import PerceptionReportRecord
from candor_incident_api.reports.repository import keep_month_report
from candor_shared.contract import PerceptionReport


def _newer(new: Any) -> ColumnElement[bool]:
    # Answers keep coming after a month closes: the later report wins, final or not.
    later: ColumnElement[bool] = new.generated_at > PerceptionReportRecord.generated_at
    return later


async def keep(session: AsyncSession, *, report: PerceptionReport, received_at: datetime) -> bool:
    """Store ``report`` unless the month's stored one was generated later; True if stored.

    Reports may arrive in any order and a redelivery changes nothing.
    """
    return await keep_month_report(
        session,
        model=PerceptionReportRecord,
        report=report,
        received_at=received_at,
        replace_when=_newer,
    )


async def get(
    session: AsyncSession, *, service_id: str, period: str
) -> PerceptionReportRecord | None:
    """The stored perception report of the service for ``period``, if any."""
    return await session.get(PerceptionReportRecord, (service_id, period))
