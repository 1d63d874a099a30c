"""Queries on subscribers and their groups."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from candor_incident_api.catalog.models import Component, Service
from candor_incident_api.models import OutboxRecord
from candor_incident_api.subscribers.models import (
    ComponentSubscription,
    GroupMember,
    Subscriber,
    SubscriberGroup,
    Subscription,
)

_WITH_SERVICES = (
    selectinload(Subscriber.subscriptions).selectinload(Subscription.service),
    selectinload(Subscriber.channels),
    selectinload(Subscriber.component_subscriptions).selectinload(ComponentSubscription.component),
    selectinload(Subscriber.component_subscriptions).selectinload(ComponentSubscription.service),
    selectinload(Subscriber.groups),
)
_GROUP_WITH = (
    selectinload(SubscriberGroup.services),
    selectinload(SubscriberGroup.components),
)


async def get_by_email(session: AsyncSession, email: str) -> Subscriber | None:
    """The subscriber with this address, with their subscriptions and channels loaded."""
    return await session.scalar(
        select(Subscriber).where(Subscriber.email == email).options(*_WITH_SERVICES)
    )


async def get(session: AsyncSession, subscriber_id: uuid.UUID) -> Subscriber | None:
    """The subscriber with this id, with their subscriptions and channels loaded."""
    return await session.scalar(
        select(Subscriber).where(Subscriber.id == subscriber_id).options(*_WITH_SERVICES)
    )


async def list_page(
    session: AsyncSession, *, service: str | None, after: uuid.UUID | None, limit: int
) -> list[Subscriber]:
    """Subscribers in id order after the cursor, optionally only those of one service."""
    query = select(Subscriber).options(*_WITH_SERVICES).order_by(Subscriber.id).limit(limit)
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


async def delete_unpublished(session: AsyncSession, keys: list[str]) -> None:
    """Drop the outbox rows of these keys that the relay has not published yet: they may
    carry an address that is being erased. (Published rows are deleted by the relay.)"""
    if keys:
        await session.execute(delete(OutboxRecord).where(OutboxRecord.key.in_(keys)))


async def components_by_ref(
    session: AsyncSession, refs: Collection[str]
) -> dict[str, tuple[Service, Component]]:
    """The components named ``service-slug/component-slug`` that exist, by that name."""
    pairs = [tuple(ref.split("/", 1)) for ref in refs]
    if not pairs:
        return {}
    rows = await session.execute(
        select(Service, Component)
        .join(Component, Component.service_id == Service.id)
        .where(tuple_(Service.slug, Component.slug).in_(pairs))
    )
    return {f"{service.slug}/{component.slug}": (service, component) for service, component in rows}


async def service_slugs_of(
    session: AsyncSession, service_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The slugs of these services, by id."""
    if not service_ids:
        return {}
    rows = await session.execute(
        select(Service.id, Service.slug).where(Service.id.in_(service_ids))
    )
    return {service_id: slug for service_id, slug in rows}


async def groups_by_name(
    session: AsyncSession, names: Collection[str]
) -> dict[str, SubscriberGroup]:
    """The groups with these names that exist, by name."""
    if not names:
        return {}
    rows = await session.scalars(
        select(SubscriberGroup).where(SubscriberGroup.name.in_(names)).options(*_GROUP_WITH)
    )
    return {row.name: row for row in rows}


async def get_group(session: AsyncSession, group_id: uuid.UUID) -> SubscriberGroup | None:
    """The group with this id, with what it follows loaded."""
    return await session.scalar(
        select(SubscriberGroup).where(SubscriberGroup.id == group_id).options(*_GROUP_WITH)
    )


async def list_groups(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int
) -> list[SubscriberGroup]:
    """Groups in id order after the cursor."""
    query = select(SubscriberGroup).options(*_GROUP_WITH).order_by(SubscriberGroup.id).limit(limit)
    if after is not None:
        query = query.where(SubscriberGroup.id > after)
    return list((await session.scalars(query)).all())


async def member_counts(
    session: AsyncSession, group_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many members each of these groups has (absent: none)."""
    if not group_ids:
        return {}
    rows = await session.execute(
        select(GroupMember.group_id, func.count())
        .where(GroupMember.group_id.in_(group_ids))
        .group_by(GroupMember.group_id)
    )
    return {group_id: int(count) for group_id, count in rows}
