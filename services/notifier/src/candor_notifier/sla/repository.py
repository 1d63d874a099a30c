"""Queries on holding updates."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.sla.models import HoldingUpdate


async def get(session: AsyncSession, deadline_id: str) -> HoldingUpdate | None:
    """What was decided for the deadline, if it was seen."""
    return await session.get(HoldingUpdate, deadline_id)


def add(session: AsyncSession, row: HoldingUpdate) -> None:
    """Stage a new row."""
    session.add(row)
