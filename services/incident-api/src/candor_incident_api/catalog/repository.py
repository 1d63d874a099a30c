"""Queries on the service catalog."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service


async def get_by_slug(session: AsyncSession, slug: str) -> Service | None:
    """The service with this slug, if any."""
    return await session.scalar(select(Service).where(Service.slug == slug))


async def get_many_by_slug(session: AsyncSession, slugs: Sequence[str]) -> list[Service]:
    """The services among ``slugs`` that exist."""
    if not slugs:
        return []
    return list((await session.scalars(select(Service).where(Service.slug.in_(slugs)))).all())


async def get(session: AsyncSession, service_id: uuid.UUID) -> Service | None:
    """The service with this id, if any."""
    return await session.get(Service, service_id)


async def list_page(session: AsyncSession, *, after: uuid.UUID | None, limit: int) -> list[Service]:
    """Services in id order, after the cursor."""
    query = select(Service).order_by(Service.id).limit(limit)
    if after is not None:
        query = query.where(Service.id > after)
    return list((await session.scalars(query)).all())
