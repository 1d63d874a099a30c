"""Queries on the catalog replica."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import ColumnElement, and_, delete, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.catalog.models import (
    ComponentSubscription,
    Group,
    GroupMember,
    GroupSubscription,
    Service,
    Subscriber,
    SubscriberChannel,
    Subscription,
)

# Ids per IN (...) list: well below the bound parameters SQLite and asyncpg accept.
_IN_CHUNK = 1000


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


async def channel_types(
    session: AsyncSession, subscriber_ids: Sequence[str]
) -> dict[str, list[str]]:
    """How each of ``subscriber_ids`` is reached: ``email`` when they have an address, then
    their other channel types in name order. Subscribers reached no way are left out."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(subscriber_ids), _IN_CHUNK):
        chunk = subscriber_ids[start : start + _IN_CHUNK]
        emails = await session.scalars(
            select(Subscriber.id).where(Subscriber.id.in_(chunk), Subscriber.email.is_not(None))
        )
        for subscriber_id in emails:
            found[subscriber_id] = ["email"]
        others = await session.execute(
            select(SubscriberChannel.subscriber_id, SubscriberChannel.type)
            .where(SubscriberChannel.subscriber_id.in_(chunk))
            .order_by(SubscriberChannel.subscriber_id, SubscriberChannel.type)
        )
        for subscriber_id, channel_type in others:
            found.setdefault(subscriber_id, []).append(channel_type)
    return found


async def reach_of(
    session: AsyncSession, subscriber_ids: Sequence[str]
) -> dict[str, tuple[list[str], list[str]]]:
    """How each of ``subscriber_ids`` is reached, as (first channels, fallback channels),
    each ``email`` first then in name order. A subscriber whose every channel is a fallback
    has them all as first channels (a fallback needs something to fall back from).
    Subscribers reached no way are left out."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for start in range(0, len(subscriber_ids), _IN_CHUNK):
        chunk = subscriber_ids[start : start + _IN_CHUNK]
        emails = await session.execute(
            select(Subscriber.id, Subscriber.email_fallback).where(
                Subscriber.id.in_(chunk), Subscriber.email.is_not(None)
            )
        )
        for subscriber_id, fallback in emails:
            found[subscriber_id] = ([], ["email"]) if fallback else (["email"], [])
        others = await session.execute(
            select(
                SubscriberChannel.subscriber_id,
                SubscriberChannel.type,
                SubscriberChannel.fallback,
            )
            .where(SubscriberChannel.subscriber_id.in_(chunk))
            .order_by(SubscriberChannel.subscriber_id, SubscriberChannel.type)
        )
        for subscriber_id, channel_type, fallback in others:
            first, kept = found.setdefault(subscriber_id, ([], []))
            (kept if fallback else first).append(channel_type)
    for subscriber_id, (first, kept) in list(found.items()):
        if not first:
            found[subscriber_id] = (kept, [])
    return found


async def channels_of(
    session: AsyncSession, subscriber_ids: Collection[str]
) -> dict[str, dict[str, SubscriberChannel]]:
    """The non-email channels of each of ``subscriber_ids`` that has some, by type."""
    if not subscriber_ids:
        return {}
    rows = await session.scalars(
        select(SubscriberChannel).where(SubscriberChannel.subscriber_id.in_(subscriber_ids))
    )
    found: dict[str, dict[str, SubscriberChannel]] = {}
    for row in rows:
        found.setdefault(row.subscriber_id, {})[row.type] = row
    return found


async def delete_channels(session: AsyncSession, subscriber_id: str) -> None:
    """Forget every non-email channel of the subscriber (URLs and secrets)."""
    await session.execute(
        delete(SubscriberChannel).where(SubscriberChannel.subscriber_id == subscriber_id)
    )


def add(
    session: AsyncSession,
    row: Service
    | Subscriber
    | Subscription
    | SubscriberChannel
    | ComponentSubscription
    | Group
    | GroupSubscription
    | GroupMember,
) -> None:
    """Stage a new row."""
    session.add(row)


async def delete_subscriptions(session: AsyncSession, subscriber_id: str) -> None:
    """Forget every service the subscriber followed."""
    await session.execute(delete(Subscription).where(Subscription.subscriber_id == subscriber_id))


async def delete_subscriber(session: AsyncSession, subscriber_id: str) -> None:
    """Delete the subscriber, what they followed, their groups and how they were reached."""
    await delete_subscriptions(session, subscriber_id)
    await delete_component_subscriptions(session, subscriber_id)
    await delete_memberships(session, subscriber_id)
    await delete_channels(session, subscriber_id)
    await session.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))


async def followed_components(session: AsyncSession, subscriber_id: str) -> set[tuple[str, str]]:
    """The (service slug, component slug) pairs the subscriber follows on their own."""
    rows = await session.execute(
        select(ComponentSubscription.service_slug, ComponentSubscription.component_slug).where(
            ComponentSubscription.subscriber_id == subscriber_id
        )
    )
    return {(service, component) for service, component in rows}


async def delete_component_subscriptions(session: AsyncSession, subscriber_id: str) -> None:
    """Forget every component the subscriber followed."""
    await session.execute(
        delete(ComponentSubscription).where(ComponentSubscription.subscriber_id == subscriber_id)
    )


async def group_ids_of(session: AsyncSession, subscriber_id: str) -> set[str]:
    """The groups the subscriber belongs to."""
    rows = await session.scalars(
        select(GroupMember.group_id).where(GroupMember.subscriber_id == subscriber_id)
    )
    return set(rows)


async def delete_memberships(session: AsyncSession, subscriber_id: str) -> None:
    """The subscriber belongs to no group any more."""
    await session.execute(delete(GroupMember).where(GroupMember.subscriber_id == subscriber_id))


async def get_group(session: AsyncSession, group_id: str) -> Group | None:
    """The group with this id, if known."""
    return await session.get(Group, group_id)


async def delete_group_subscriptions(session: AsyncSession, group_id: str) -> None:
    """Forget what the group followed."""
    await session.execute(delete(GroupSubscription).where(GroupSubscription.group_id == group_id))


async def delete_group(session: AsyncSession, group_id: str) -> None:
    """Delete the group and what it followed; memberships go too."""
    await delete_group_subscriptions(session, group_id)
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
    await session.execute(delete(Group).where(Group.id == group_id))


def _affecting(
    model: type[ComponentSubscription] | type[GroupSubscription],
    whole: Collection[str],
    parts: Collection[tuple[str, str]],
) -> list[ColumnElement[bool]]:
    """Conditions for component rows an incident reaches: any component of a service it
    affects entirely, or a component it names."""
    conditions: list[ColumnElement[bool]] = []
    if whole:
        conditions.append(model.service_slug.in_(whole))
    if parts:
        conditions.append(tuple_(model.service_slug, model.component_slug).in_(list(parts)))
    return conditions


async def audience_ids(
    session: AsyncSession, *, whole: Collection[str], parts: Collection[tuple[str, str]]
) -> set[str]:
    """The ids of the known subscribers reached by an incident that affects the services in
    ``whole`` entirely and the (service, component) pairs in ``parts``: through a service
    subscription, a component subscription, or a group that follows either."""
    services = set(whole) | {service for service, _ in parts}
    found: set[str] = set()
    if services:
        found.update(
            await session.scalars(
                select(Subscription.subscriber_id).where(Subscription.service_slug.in_(services))
            )
        )

    conditions = _affecting(ComponentSubscription, whole, parts)
    if conditions:
        found.update(
            await session.scalars(
                select(ComponentSubscription.subscriber_id).where(or_(*conditions))
            )
        )
    group_conditions = _affecting(GroupSubscription, whole, parts)
    if services:
        # A group that follows the whole service hears of any incident on it.
        group_conditions.append(
            and_(
                GroupSubscription.component_slug == "",
                GroupSubscription.service_slug.in_(services),
            )
        )
    if group_conditions:
        groups = select(GroupSubscription.group_id).where(or_(*group_conditions))
        found.update(
            await session.scalars(
                select(GroupMember.subscriber_id)
                .join(Subscriber, Subscriber.id == GroupMember.subscriber_id)
                .where(GroupMember.group_id.in_(groups))
            )
        )
    return found


async def preferences_of(
    session: AsyncSession, subscriber_ids: Sequence[str]
) -> dict[str, Subscriber]:
    """Those of ``subscriber_ids`` with quiet hours or a digest period, by id."""
    found: dict[str, Subscriber] = {}
    for start in range(0, len(subscriber_ids), _IN_CHUNK):
        chunk = subscriber_ids[start : start + _IN_CHUNK]
        rows = await session.scalars(
            select(Subscriber).where(
                Subscriber.id.in_(chunk),
                or_(Subscriber.quiet_start.is_not(None), Subscriber.digest_seconds.is_not(None)),
            )
        )
        found.update((row.id, row) for row in rows)
    return found


async def slugs_of_groups(session: AsyncSession, group_ids: Collection[str]) -> set[str]:
    """The services the groups follow, entirely or by a component."""
    if not group_ids:
        return set()
    rows = await session.scalars(
        select(GroupSubscription.service_slug).where(GroupSubscription.group_id.in_(group_ids))
    )
    return set(rows)


async def member_ids(session: AsyncSession, group_id: str) -> list[str]:
    """The ids of the group's known members, in id order."""
    rows = await session.scalars(
        select(GroupMember.subscriber_id)
        .where(GroupMember.group_id == group_id)
        .order_by(GroupMember.subscriber_id)
    )
    return list(rows)
