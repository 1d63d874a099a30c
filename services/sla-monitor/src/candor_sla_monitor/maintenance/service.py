"""Rules of maintenance in sla-monitor: what an event records, and what counting needs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import MaintenanceSnapshot
from candor_shared.intervals import Window
from candor_sla_monitor.ledger.maintenance import MaintenanceSpan
from candor_sla_monitor.maintenance import repository
from candor_sla_monitor.maintenance.models import MaintenanceWindow


async def record_window(*, session: AsyncSession, window: MaintenanceSnapshot) -> bool:
    """Make the window's row match ``window`` unless a newer version is recorded (events
    carry the full state, so any order of arrival ends with the newest). True if changed."""
    return await repository.upsert(session, window=window)


async def spans_of(
    *, session: AsyncSession, service_slug: str, window: Window
) -> list[MaintenanceSpan]:
    """The service's maintenance overlapping ``window``, as availability counts it."""
    rows = await repository.overlapping(
        session, service_slug=service_slug, start=window.start, end=window.end
    )
    return [span_of(row) for row in rows]


def span_of(row: MaintenanceWindow) -> MaintenanceSpan:
    """The row as the availability rules read it."""
    return MaintenanceSpan(
        maintenance_id=row.id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        announced_at=row.announced_at,
        started_at=row.started_at,
        completed_at=row.completed_at,
        cancelled=row.status == "cancelled",
    )
