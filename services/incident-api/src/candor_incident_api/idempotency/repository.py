"""Queries on idempotency records."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.idempotency.models import IdempotencyRecord

_LOCK_NAMESPACE = 0x43445259
"""First key of the advisory locks taken here (two-key locks never meet one-key locks)."""


async def get(session: AsyncSession, *, principal: str, key: str) -> IdempotencyRecord | None:
    """The record of ``key`` for ``principal``, expired or not."""
    return await session.get(IdempotencyRecord, (principal, key))


async def try_lock(session: AsyncSession, *, lock_id: int) -> bool:
    """PostgreSQL: hold the key's advisory lock until the transaction ends; False if taken."""
    taken = await session.scalar(select(func.pg_try_advisory_xact_lock(_LOCK_NAMESPACE, lock_id)))
    return bool(taken)


async def prune(session: AsyncSession, *, older_than: datetime) -> int:
    """Delete the records created before ``older_than``; how many went."""
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_of_subscriber(session: AsyncSession, subscriber_id: uuid.UUID) -> None:
    """Delete every kept answer about the subscriber, whoever's key it was (erasure)."""
    await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.subscriber_id == subscriber_id)
    )
