"""Rules of the catalog replica: the newest event wins, erasure leaves nothing behind."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.audience import repository as audience
from candor_notifier.catalog import repository
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
from candor_notifier.deliveries import service as deliveries
from candor_shared.contract import QuietHours
from candor_shared.contract import SubscriberChannel as ChannelInEvent

log = structlog.get_logger(__name__)

POSTED_CHANNELS = frozenset({"slack", "teams", "webhook", "apprise"})
"""Channel types the notifier posts to, besides email."""


async def upsert_service(
    *, session: AsyncSession, service_id: str, slug: str, name: str, now: datetime
) -> None:
    """Create or rename the service."""
    service = await repository.get_service(session, service_id)
    if service is None:
        repository.add(session, Service(id=service_id, slug=slug, name=name, updated_at=now))
        return
    service.slug = slug
    service.name = name
    service.updated_at = now


async def upsert_subscriber(
    *,
    session: AsyncSession,
    subscriber_id: str,
    email: str | None,
    timezone: str,
    language: str,
    service_slugs: Collection[str],
    now: datetime,
    channels: Sequence[ChannelInEvent] = (),
    components: Collection[str] = (),
    group_ids: Collection[str] = (),
    quiet_hours: QuietHours | None = None,
    digest_every: timedelta | None = None,
) -> set[str]:
    """Create or update the subscriber; the slugs, components (``service/component``),
    groups and channels given replace what they had.

    With no ``channels`` (an event from before channels), ``email`` is the one channel.
    Channels marked ``fallback`` are kept for when the others fail for good
    (:mod:`candor_notifier.deliveries.fallback`). Channel types the notifier does not know
    are skipped. Returns the slugs they follow now and did not before (directly, by a
    component, or through a group).
    """
    email_fallback = False
    if channels:
        email = next((c.address for c in channels if c.type == "email" and c.address), None)
        email_fallback = any(c.type == "email" and c.address and c.fallback for c in channels)
    subscriber = await repository.get_subscriber(session, subscriber_id)
    if subscriber is None:
        repository.add(
            session,
            Subscriber(
                id=subscriber_id,
                email=email,
                email_fallback=email_fallback,
                timezone=timezone,
                language=language,
                updated_at=now,
            ),
        )
        before: set[str] = set()
    else:
        subscriber.email = email
        subscriber.email_fallback = email_fallback
        subscriber.timezone = timezone
        subscriber.language = language
        subscriber.updated_at = now
        before = await _reached_slugs(session, subscriber_id)
    await repository.delete_channels(session, subscriber_id)
    for channel in channels:
        if channel.type in POSTED_CHANNELS and channel.url:
            repository.add(
                session,
                SubscriberChannel(
                    subscriber_id=subscriber_id,
                    type=channel.type,
                    url=channel.url,
                    secret=channel.secret,
                    fallback=channel.fallback,
                ),
            )
        elif channel.type != "email":
            log.warning("subscriber.channel_skipped", channel_type=channel.type[:32])
    wanted = set(service_slugs)
    # The subscriber row must exist before the rows that refer to it.
    await session.flush()
    if wanted != await repository.followed_slugs(session, subscriber_id):
        await repository.delete_subscriptions(session, subscriber_id)
        await session.flush()
        for slug in sorted(wanted):
            repository.add(session, Subscription(subscriber_id=subscriber_id, service_slug=slug))
    await _set_preferences(
        session,
        subscriber_id=subscriber_id,
        components=components,
        group_ids=group_ids,
        quiet_hours=quiet_hours,
        digest_every=digest_every,
    )
    await session.flush()
    return await _reached_slugs(session, subscriber_id) - before


def _component_pairs(components: Collection[str]) -> set[tuple[str, str]]:
    """``service/component`` strings as pairs; malformed ones are skipped (incident-api
    checks them before it publishes)."""
    pairs: set[tuple[str, str]] = set()
    for item in components:
        service_slug, _, component_slug = item.partition("/")
        if service_slug and component_slug:
            pairs.add((service_slug, component_slug))
        else:
            log.warning("subscriber.component_skipped", component=item[:130])
    return pairs


async def _set_preferences(
    session: AsyncSession,
    *,
    subscriber_id: str,
    components: Collection[str],
    group_ids: Collection[str],
    quiet_hours: QuietHours | None,
    digest_every: timedelta | None,
) -> None:
    """Replace the subscriber's components, groups, quiet hours and digest period."""
    subscriber = await repository.get_subscriber(session, subscriber_id)
    assert subscriber is not None
    subscriber.quiet_start = quiet_hours.start.replace(tzinfo=None) if quiet_hours else None
    subscriber.quiet_end = quiet_hours.end.replace(tzinfo=None) if quiet_hours else None
    subscriber.digest_seconds = int(digest_every.total_seconds()) if digest_every else None
    pairs = _component_pairs(components)
    if pairs != await repository.followed_components(session, subscriber_id):
        await repository.delete_component_subscriptions(session, subscriber_id)
        for service_slug, component_slug in sorted(pairs):
            repository.add(
                session,
                ComponentSubscription(
                    subscriber_id=subscriber_id,
                    service_slug=service_slug,
                    component_slug=component_slug,
                ),
            )
    groups = set(group_ids)
    if groups != await repository.group_ids_of(session, subscriber_id):
        await repository.delete_memberships(session, subscriber_id)
        for group_id in sorted(groups):
            repository.add(session, GroupMember(group_id=group_id, subscriber_id=subscriber_id))


async def _reached_slugs(session: AsyncSession, subscriber_id: str) -> set[str]:
    """The services whose incidents may reach the subscriber, however they follow them."""
    slugs = await repository.followed_slugs(session, subscriber_id)
    slugs.update(
        service for service, _ in await repository.followed_components(session, subscriber_id)
    )
    slugs.update(
        await repository.slugs_of_groups(
            session, await repository.group_ids_of(session, subscriber_id)
        )
    )
    return slugs


async def upsert_group(
    *,
    session: AsyncSession,
    group_id: str,
    name: str,
    service_slugs: Collection[str],
    components: Collection[str],
    now: datetime,
) -> set[str]:
    """Create or update the group; what it follows replaces what it followed. Returns the
    slugs it follows now and did not before."""
    group = await repository.get_group(session, group_id)
    before: set[str] = set()
    if group is None:
        repository.add(session, Group(id=group_id, name=name, updated_at=now))
        await session.flush()
    else:
        group.name = name
        group.updated_at = now
        before = await repository.slugs_of_groups(session, {group_id})
    await repository.delete_group_subscriptions(session, group_id)
    await session.flush()
    wanted = {(slug, "") for slug in service_slugs} | _component_pairs(components)
    for service_slug, component_slug in sorted(wanted):
        repository.add(
            session,
            GroupSubscription(
                group_id=group_id, service_slug=service_slug, component_slug=component_slug
            ),
        )
    return {service for service, _ in wanted} - before


async def delete_group(*, session: AsyncSession, group_id: str) -> None:
    """Forget the group, what it followed and who belonged to it."""
    await repository.delete_group(session, group_id)


async def members_of(*, session: AsyncSession, group_id: str) -> list[str]:
    """The ids of the group's members, in id order."""
    return await repository.member_ids(session, group_id)


async def erase_subscriber(*, session: AsyncSession, subscriber_id: str) -> None:
    """Forget the subscriber: their address and channels, what they followed, and every
    delivery to them."""
    await deliveries.forget_recipient(session=session, recipient_id=subscriber_id)
    await audience.forget_recipient(session, subscriber_id)
    await repository.delete_subscriber(session, subscriber_id)


async def followers_of(*, session: AsyncSession, service_slug: str) -> list[str]:
    """The ids of the subscribers who follow the service."""
    return await repository.follower_ids(session, service_slug)


async def reached_by(
    *, session: AsyncSession, whole: Collection[str], parts: Collection[tuple[str, str]]
) -> list[str]:
    """Every known subscriber an incident reaches, once, in id order: it affects the services
    in ``whole`` entirely and the (service, component) pairs in ``parts``."""
    return sorted(await repository.audience_ids(session, whole=whole, parts=parts))
