"""The catalog events the notifier handles: keep the replica, tell newcomers what is going on."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.catalog import service
from candor_notifier.deliveries import service as deliveries
from candor_notifier.incidents import service as incidents
from candor_shared.clock import utcnow
from candor_shared.contract import (
    CloudEvent,
    EventData,
    GroupDeleted,
    GroupUpserted,
    IncidentSnapshot,
    ServiceUpserted,
    SubscriberErased,
    SubscriberUpserted,
)
from candor_shared.kafka import Handler


def handlers(*, message_domain: str) -> dict[str, Handler]:
    """Handlers of the catalog topic, by event type."""

    async def tell_newcomers(
        session: AsyncSession, *, recipient_ids: list[str], newly_followed: set[str]
    ) -> None:
        # Someone who starts following a service during an incident is told about it too.
        # This also covers a subscriber whose event is handled after the incident's: the
        # catalog and incident topics are not ordered with respect to each other. Only the
        # incidents that really reach them (a component they follow, not another one).
        if not recipient_ids or not newly_followed:
            return
        now = utcnow()
        for notice in await incidents.open_incident_notices(
            session=session, service_slugs=newly_followed
        ):
            reached = set(
                await incidents.audience(
                    session=session, incident=IncidentSnapshot.model_validate(notice.incident)
                )
            )
            newcomers = [r for r in recipient_ids if r in reached]
            await deliveries.plan(
                session=session,
                notice=notice,
                recipient_ids=newcomers,
                message_domain=message_domain,
                now=now,
            )

    async def on_service_upserted(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, ServiceUpserted)
        await service.upsert_service(
            session=session, service_id=data.id, slug=data.slug, name=data.name, now=utcnow()
        )

    async def on_subscriber_upserted(
        *, session: AsyncSession, event: CloudEvent[EventData]
    ) -> None:
        data = event.data
        assert isinstance(data, SubscriberUpserted)
        newly_followed = await service.upsert_subscriber(
            session=session,
            subscriber_id=data.id,
            email=data.email,
            timezone=data.timezone,
            language=data.language,
            service_slugs=data.services,
            now=utcnow(),
            channels=data.channels,
            components=data.components,
            group_ids=data.groups,
            quiet_hours=data.quiet_hours,
            digest_every=data.digest_every,
        )
        await tell_newcomers(session, recipient_ids=[data.id], newly_followed=newly_followed)

    async def on_subscriber_erased(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, SubscriberErased)
        await service.erase_subscriber(session=session, subscriber_id=data.id)

    async def on_group_upserted(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, GroupUpserted)
        newly_followed = await service.upsert_group(
            session=session,
            group_id=data.id,
            name=data.name,
            service_slugs=data.services,
            components=data.components,
            now=utcnow(),
        )
        members = await service.members_of(session=session, group_id=data.id)
        await tell_newcomers(session, recipient_ids=members, newly_followed=newly_followed)

    async def on_group_deleted(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, GroupDeleted)
        await service.delete_group(session=session, group_id=data.id)

    return {
        ServiceUpserted.event_type: on_service_upserted,
        SubscriberUpserted.event_type: on_subscriber_upserted,
        SubscriberErased.event_type: on_subscriber_erased,
        GroupUpserted.event_type: on_group_upserted,
        GroupDeleted.event_type: on_group_deleted,
    }
