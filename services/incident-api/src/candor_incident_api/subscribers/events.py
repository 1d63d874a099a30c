"""What the subscriber domain publishes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.outbox import publish, publish_tombstone
from candor_incident_api.subscribers.models import Subscriber, SubscriberGroup
from candor_shared.contract import (
    GroupDeleted,
    GroupUpserted,
    QuietHours,
    SubscriberChannel,
    SubscriberErased,
    SubscriberUpserted,
)
from candor_shared.contract.topics import CATALOG


def publish_subscriber_upserted(session: AsyncSession, subscriber: Subscriber) -> None:
    """Give the notifier the subscriber's channels (URLs and webhook secrets included: it
    posts and signs with them) and the full set of services they follow.

    The name stays here: the notifier does not need it.
    """
    channels = (
        [
            SubscriberChannel(
                type="email", address=subscriber.email, fallback=subscriber.email_fallback
            )
        ]
        if subscriber.email
        else []
    )
    channels.extend(
        SubscriberChannel(
            type=channel.type, url=channel.url, secret=channel.secret, fallback=channel.fallback
        )
        for channel in subscriber.channels
    )
    publish(
        session,
        SubscriberUpserted(
            id=str(subscriber.id),
            email=subscriber.email,
            services=sorted(sub.service.slug for sub in subscriber.subscriptions),
            timezone=subscriber.timezone,
            language=subscriber.language,
            channels=channels,
            components=component_refs(subscriber),
            groups=sorted(str(group.id) for group in subscriber.groups),
            quiet_hours=quiet_hours_of(subscriber),
            digest_every=(
                timedelta(seconds=subscriber.digest_seconds) if subscriber.digest_seconds else None
            ),
        ),
        key=str(subscriber.id),
    )


def component_refs(subscriber: Subscriber) -> list[str]:
    """The components the subscriber follows, as ``service/component``, sorted."""
    return sorted(
        f"{sub.service.slug}/{sub.component.slug}" for sub in subscriber.component_subscriptions
    )


def quiet_hours_of(subscriber: Subscriber) -> QuietHours | None:
    """The subscriber's quiet hours, if they have some."""
    if subscriber.quiet_start is None or subscriber.quiet_end is None:
        return None
    return QuietHours(start=subscriber.quiet_start, end=subscriber.quiet_end)


def publish_group_upserted(
    session: AsyncSession, group: SubscriberGroup, *, service_slugs: dict[str, str]
) -> None:
    """Give the notifier what the group follows, in full (``service_slugs``: each of its
    components' service slug, by service id). Its members are in their own events."""
    publish(
        session,
        GroupUpserted(
            id=str(group.id),
            name=group.name,
            services=sorted(service.slug for service in group.services),
            components=sorted(
                f"{service_slugs[str(component.service_id)]}/{component.slug}"
                for component in group.components
            ),
        ),
        key=str(group.id),
    )


def publish_group_deleted(session: AsyncSession, group_id: str) -> None:
    """Tell the notifier that the group's members no longer hear of what it followed."""
    publish(session, GroupDeleted(id=group_id), key=group_id)


def publish_subscriber_erased(session: AsyncSession, subscriber_id: str) -> None:
    """Tell every service to forget the subscriber, then drop their records from compaction."""
    publish(session, SubscriberErased(id=subscriber_id), key=subscriber_id)
    publish_tombstone(session, topic=CATALOG, key=subscriber_id)
