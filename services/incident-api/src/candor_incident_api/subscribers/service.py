"""Rules about subscribers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository as catalog
from candor_incident_api.errors import ApiError
from candor_incident_api.subscribers import repository
from candor_incident_api.subscribers.events import (
    publish_subscriber_erased,
    publish_subscriber_upserted,
)
from candor_incident_api.subscribers.models import Subscriber, Subscription
from candor_incident_api.subscribers.schemas import SubscriberIn, SubscriberOut
from candor_shared.clock import utcnow
from candor_shared.ids import uuid7


def to_out(subscriber: Subscriber) -> SubscriberOut:
    """The API view of a subscriber whose subscriptions are loaded."""
    return SubscriberOut(
        id=subscriber.id,
        email=subscriber.email,
        services=sorted(sub.service.slug for sub in subscriber.subscriptions),
        timezone=subscriber.timezone,
        language=subscriber.language,
        created_at=subscriber.created_at,
        updated_at=subscriber.updated_at,
    )


async def upsert_subscriber(
    *, session: AsyncSession, data: SubscriberIn
) -> tuple[Subscriber, bool]:
    """Create the subscriber or replace their services and preferences when the address exists.

    Unknown service slugs are refused (422) naming each. Publishes only on a real change.
    """
    slugs = sorted(set(data.services))
    services = await catalog.get_many_by_slug(session, slugs)
    unknown = sorted(set(slugs) - {service.slug for service in services})
    if unknown:
        raise ApiError(
            422,
            "Unknown service",
            f"body.services: no service with slug {', '.join(map(repr, unknown))}; "
            "create it first with POST /v1/services.",
        )
    now = utcnow()
    subscriber = await repository.get_by_email(session, data.email)
    is_new = subscriber is None
    if subscriber is None:
        subscriber = Subscriber(
            id=uuid7(),
            email=data.email,
            timezone=data.timezone,
            language=data.language,
            created_at=now,
            updated_at=now,
            subscriptions=[],
        )
        session.add(subscriber)
    current = {sub.service.slug for sub in subscriber.subscriptions}
    changed = (
        is_new
        or current != set(slugs)
        or subscriber.timezone != data.timezone
        or subscriber.language != data.language
    )
    if not changed:
        return subscriber, False
    subscriber.timezone = data.timezone
    subscriber.language = data.language
    subscriber.updated_at = now
    subscriber.subscriptions = [
        Subscription(subscriber_id=subscriber.id, service_id=service.id, service=service)
        for service in services
    ]
    await session.flush()
    publish_subscriber_upserted(session, subscriber)
    return subscriber, is_new


async def erase_subscriber(*, session: AsyncSession, subscriber: Subscriber) -> None:
    """Delete the subscriber and tell the other services to forget them too."""
    subscriber_id = str(subscriber.id)
    await session.delete(subscriber)
    publish_subscriber_erased(session, subscriber_id)
