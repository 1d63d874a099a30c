"""Rules about groups of subscribers: a group follows services and components as a whole,
and its members hear of what it follows, each once with what they follow themselves.

A group's subscriptions travel in its own event (GroupUpserted) and its members in theirs
(SubscriberUpserted.groups): changing what a group of a thousand follows is one event, and
the notifier resolves members at the moment an incident needs an audience, so it is never
left with a stale copy of the group's subscriptions in each member.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository as catalog
from candor_incident_api.catalog import service as catalog_service
from candor_incident_api.errors import ApiError
from candor_incident_api.subscribers import repository
from candor_incident_api.subscribers.events import publish_group_deleted, publish_group_upserted
from candor_incident_api.subscribers.models import SubscriberGroup
from candor_incident_api.subscribers.schemas import GroupIn, GroupOut
from candor_incident_api.subscribers.service import resolve_components
from candor_shared.clock import utcnow
from candor_shared.ids import uuid7


@dataclass
class SavedGroup:
    """A group after a POST, and whether it is new."""

    group: SubscriberGroup
    is_new: bool
    members: int


async def to_group_out(session: AsyncSession, group: SubscriberGroup, members: int) -> GroupOut:
    """The API view of a group whose services and components are loaded."""
    slugs = await repository.service_slugs_of(session, {c.service_id for c in group.components})
    return GroupOut(
        id=group.id,
        name=group.name,
        services=sorted(service.slug for service in group.services),
        components=sorted(f"{slugs[c.service_id]}/{c.slug}" for c in group.components),
        members=members,
        created_at=group.created_at,
        updated_at=group.updated_at,
    )


async def upsert_group(*, session: AsyncSession, data: GroupIn) -> SavedGroup:
    """Create the group, or update the one with this name: the services and components given
    replace what it followed. Unknown ones are refused (422, naming each) before anything
    changes. Publishes only on a real change."""
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
    components = [c for _, c in await resolve_components(session, data.components)]
    now = utcnow()
    group = (await repository.groups_by_name(session, [data.name])).get(data.name)
    is_new = group is None
    if group is None:
        group = SubscriberGroup(
            id=uuid7(), name=data.name, created_at=now, updated_at=now, services=[], components=[]
        )
        session.add(group)
    changed = (
        is_new
        or {s.id for s in services} != {s.id for s in group.services}
        or {c.id for c in components} != {c.id for c in group.components}
    )
    counts = await repository.member_counts(session, [group.id])
    if not changed:
        return SavedGroup(group=group, is_new=False, members=counts.get(group.id, 0))
    group.services = list(services)
    group.components = components
    group.updated_at = now
    await session.flush()
    await _publish(session, group)
    return SavedGroup(group=group, is_new=is_new, members=counts.get(group.id, 0))


async def _publish(session: AsyncSession, group: SubscriberGroup) -> None:
    slugs = await repository.service_slugs_of(session, {c.service_id for c in group.components})
    publish_group_upserted(
        session,
        group,
        service_slugs={str(service_id): slug for service_id, slug in slugs.items()},
    )


async def delete_group(*, session: AsyncSession, group: SubscriberGroup) -> None:
    """Delete the group: its members stay subscribers, and no longer hear of what it
    followed; its agreements with services go too (each such service is published again)."""
    group_id = str(group.id)
    # Its agreements with services go with it (the rows cascade): those services are
    # published again, so that sla-monitor stops evaluating the group's terms. That is a
    # catalog write: the lock first, so that the versions read below are not bumped by a
    # concurrent write in between (two states under one version, one of them dropped).
    await catalog.lock_catalog(session)
    with_agreements = await catalog.services_with_group_agreement(session, group.id)
    await session.delete(group)
    await session.flush()
    publish_group_deleted(session, group_id)
    await catalog_service.forget_group(session=session, services=with_agreements)
