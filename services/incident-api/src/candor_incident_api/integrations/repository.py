"""Queries on integrations."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from candor_incident_api.integrations.models import Integration


async def get_active_by_hash(session: AsyncSession, key_hash: str) -> Integration | None:
    """The unrevoked integration whose key hashes to ``key_hash``, with its default service."""
    return await session.scalar(
        select(Integration)
        .where(Integration.key_hash == key_hash, Integration.revoked_at.is_(None))
        .options(selectinload(Integration.default_service))
    )


async def get(session: AsyncSession, integration_id: uuid.UUID) -> Integration | None:
    """One integration by id, with its default service."""
    return await session.scalar(
        select(Integration)
        .where(Integration.id == integration_id)
        .options(selectinload(Integration.default_service))
    )


async def list_all(session: AsyncSession) -> list[Integration]:
    """Every integration, oldest first."""
    return list(
        (
            await session.scalars(
                select(Integration)
                .order_by(Integration.id)
                .options(selectinload(Integration.default_service))
            )
        ).all()
    )
