"""What the subscriber domain publishes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.outbox import publish, publish_tombstone
from candor_incident_api.subscribers.models import Subscriber
from candor_shared.contract import SubscriberErased, SubscriberUpserted
from candor_shared.contract.topics import CATALOG


def publish_subscriber_upserted(session: AsyncSession, subscriber: Subscriber) -> None:
    """Give the notifier the subscriber's address and the full set of services they follow."""
    publish(
        session,
        SubscriberUpserted(
            id=str(subscriber.id),
            email=subscriber.email,
            services=sorted(sub.service.slug for sub in subscriber.subscriptions),
            timezone=subscriber.timezone,
            language=subscriber.language,
        ),
        key=str(subscriber.id),
    )


def publish_subscriber_erased(session: AsyncSession, subscriber_id: str) -> None:
    """Tell every service to forget the subscriber, then drop their records from compaction."""
    publish(session, SubscriberErased(id=subscriber_id), key=subscriber_id)
    publish_tombstone(session, topic=CATALOG, key=subscriber_id)
