"""Queries of burst folding on the delivery ledger."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.deliveries.models import Delivery


async def of_incident(session: AsyncSession, incident_id: str) -> list[Delivery]:
    """Every delivery about the incident, oldest first."""
    rows = await session.scalars(
        select(Delivery)
        .where(Delivery.incident_id == incident_id)
        .order_by(Delivery.created_at, Delivery.id)
    )
    return list(rows)


async def hold_back(
    session: AsyncSession,
    *,
    delivery_id: uuid.UUID,
    until: datetime,
    folded: int,
    folded_since: datetime,
) -> None:
    """Make a delivery not yet claimed wait until ``until``, telling ``folded`` updates."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == "pending")
        .values(next_attempt_at=until, folded=folded, folded_since=folded_since)
        .execution_options(synchronize_session=False)
    )


async def drop_waiting(
    session: AsyncSession, *, delivery_ids: Collection[uuid.UUID], now: datetime
) -> int:
    """Delete deliveries still waiting (pending, not due before ``now``). Returns how many;
    one a sender claimed meanwhile is left alone."""
    if not delivery_ids:
        return 0
    result = await session.execute(
        delete(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.state == "pending",
            Delivery.next_attempt_at > now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
