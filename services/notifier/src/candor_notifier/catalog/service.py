"""Rules of the catalog replica: the newest event wins, erasure leaves nothing behind."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.catalog import repository
from candor_notifier.catalog.models import Service, Subscriber, Subscription
from candor_notifier.deliveries import service as deliveries


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
    email: str,
    timezone: str,
    language: str,
    service_slugs: Collection[str],
    now: datetime,
) -> set[str]:
    """Create or update the subscriber; the slugs given replace what they followed.

    Returns the slugs they follow now and did not before.
    """
    subscriber = await repository.get_subscriber(session, subscriber_id)
    if subscriber is None:
        repository.add(
            session,
            Subscriber(
                id=subscriber_id,
                email=email,
                timezone=timezone,
                language=language,
                updated_at=now,
            ),
        )
        before: set[str] = set()
    else:
        subscriber.email = email
        subscriber.timezone = timezone
        subscriber.language = language
        subscriber.updated_at = now
        before = await repository.followed_slugs(session, subscriber_id)
    wanted = set(service_slugs)
    if wanted != before:
        await repository.delete_subscriptions(session, subscriber_id)
        # The subscriber row must exist before the subscriptions that refer to it.
        await session.flush()
        for slug in sorted(wanted):
            repository.add(session, Subscription(subscriber_id=subscriber_id, service_slug=slug))
    return wanted - before


async def erase_subscriber(*, session: AsyncSession, subscriber_id: str) -> None:
    """Forget the subscriber: their address, what they followed, and every delivery to them."""
    await deliveries.forget_recipient(session=session, recipient_id=subscriber_id)
    await repository.delete_subscriber(session, subscriber_id)


async def followers_of(*, session: AsyncSession, service_slug: str) -> list[str]:
    """The ids of the subscribers who follow the service."""
    return await repository.follower_ids(session, service_slug)
