"""Queries on subscribers."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from candor_incident_api.catalog.models import Service
from candor_incident_api.subscribers.models import Subscriber, Subscription

_WITH_SERVICES = selectinload(Subscriber.subscriptions).selectinload(Subscription.service)


async def get_by_email(session: AsyncSession, email: str) -> Subscriber | None:
    """The subscriber with this address, with their subscriptions loaded."""
    return await session.scalar(
        select(Subscriber).where(Subscriber.email == email).options(_WITH_SERVICES)
    )


async def get(session: AsyncSession, subscriber_id: uuid.UUID) -> Subscriber | None:
    """The subscriber with this id, with their subscriptions loaded."""
    return await session.scalar(
        select(Subscriber).where(Subscriber.id == subscriber_id).options(_WITH_SERVICES)
    )


async def list_page(
    session: AsyncSession, *, service: str | None, after: uuid.UUID | None, limit: int
) -> list[Subscriber]:
    """Subscribers in id order after the cursor, optionally only those of one service."""
    query = select(Subscriber).options(_WITH_SERVICES).order_by(Subscriber.id).limit(limit)
    if after is not None:
        query = query.where(Subscriber.id > after)
    if service is not None:
        query = query.where(
            Subscriber.id.in_(
                select(Subscription.subscriber_id)
                .join(Service, Service.id == Subscription.service_id)
                .where(Service.slug == service)
            )
        )
    return list((await session.scalars(query)).all())
