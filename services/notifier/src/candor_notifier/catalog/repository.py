"""Queries on the catalog replica."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.catalog.models import Service, Subscriber, Subscription


async def get_service(session: AsyncSession, service_id: str) -> Service | None:
    """The service with this id, if known."""
    return await session.get(Service, service_id)


async def get_subscriber(session: AsyncSession, subscriber_id: str) -> Subscriber | None:
    """The subscriber with this id, if known."""
    return await session.get(Subscriber, subscriber_id)


async def get_subscribers(
    session: AsyncSession, subscriber_ids: Collection[str]
) -> dict[str, Subscriber]:
    """The known subscribers among ``subscriber_ids``, by id."""
    if not subscriber_ids:
        return {}
    rows = await session.scalars(select(Subscriber).where(Subscriber.id.in_(subscriber_ids)))
    return {row.id: row for row in rows}


async def followed_slugs(session: AsyncSession, subscriber_id: str) -> set[str]:
    """The slugs of the services the subscriber follows."""
    rows = await session.scalars(
        select(Subscription.service_slug).where(Subscription.subscriber_id == subscriber_id)
    )
    return set(rows)


async def follower_ids(session: AsyncSession, service_slug: str) -> list[str]:
    """The ids of the subscribers who follow the service, in id order."""
    rows = await session.scalars(
        select(Subscription.subscriber_id)
        .where(Subscription.service_slug == service_slug)
        .order_by(Subscription.subscriber_id)
    )
    return list(rows)


def add(session: AsyncSession, row: Service | Subscriber | Subscription) -> None:
    """Stage a new row."""
    session.add(row)


async def delete_subscriptions(session: AsyncSession, subscriber_id: str) -> None:
    """Forget every service the subscriber followed."""
    await session.execute(delete(Subscription).where(Subscription.subscriber_id == subscriber_id))


async def delete_subscriber(session: AsyncSession, subscriber_id: str) -> None:
    """Delete the subscriber and what they followed."""
    await delete_subscriptions(session, subscriber_id)
    await session.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))
