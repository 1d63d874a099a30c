"""Queries on maintenance windows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.maintenance.models import MaintenanceWindow


async def get(session: AsyncSession, window_id: str) -> MaintenanceWindow | None:
    """The window with this id, if seen."""
    return await session.get(MaintenanceWindow, window_id)


def add(session: AsyncSession, row: MaintenanceWindow) -> None:
    """Stage a new row."""
    session.add(row)


async def claim_due_reminders(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[MaintenanceWindow]:
    """Windows still scheduled whose reminder is due and not sent, locked for this
    transaction (rows another notifier is reminding are skipped on PostgreSQL; SQLite's
    write lock serializes)."""
    rows = await session.scalars(
        select(MaintenanceWindow)
        .where(
            MaintenanceWindow.status == "scheduled",
            MaintenanceWindow.reminder_due_at <= now,
            MaintenanceWindow.reminder_sent_at.is_(None),
        )
        .order_by(MaintenanceWindow.reminder_due_at, MaintenanceWindow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)
