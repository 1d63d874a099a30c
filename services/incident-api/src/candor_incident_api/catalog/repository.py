"""Queries on the service catalog."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from candor_incident_api.catalog.models import Component, Dependency, GroupAgreement, Service
from candor_incident_api.subscribers.models import SubscriberGroup


async def get_by_slug(session: AsyncSession, slug: str) -> Service | None:
    """The service with this slug, if any."""
    return await session.scalar(select(Service).where(Service.slug == slug))


async def get_many_by_slug(session: AsyncSession, slugs: Sequence[str]) -> list[Service]:
    """The services among ``slugs`` that exist."""
    if not slugs:
        return []
    return list((await session.scalars(select(Service).where(Service.slug.in_(slugs)))).all())


async def get(session: AsyncSession, service_id: uuid.UUID) -> Service | None:
    """The service with this id, if any."""
    return await session.get(Service, service_id)


async def list_page(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int, q: str | None = None
) -> list[Service]:
    """Services in id order, after the cursor; ``q`` matches slug, name or description."""
    query = select(Service).order_by(Service.id).limit(limit)
    if after is not None:
        query = query.where(Service.id > after)
    if q:
        text_ = q.lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(text_, autoescape=True)
                    for column in (Service.slug, Service.name, Service.description)
                )
            )
        )
    return list((await session.scalars(query)).all())


async def components_of(session: AsyncSession, service_id: uuid.UUID) -> list[Component]:
    """The service's components in display order."""
    query = (
        select(Component)
        .where(Component.service_id == service_id)
        .order_by(Component.position, Component.slug)
    )
    return list((await session.scalars(query)).all())


async def components_by_slug(session: AsyncSession, service_id: uuid.UUID) -> dict[str, Component]:
    """The service's components keyed by slug (empty when it has none)."""
    return {component.slug: component for component in await components_of(session, service_id)}


async def dependencies_of(session: AsyncSession, service_id: uuid.UUID) -> list[Dependency]:
    """What the service itself depends on (direct edges only)."""
    query = select(Dependency).where(Dependency.service_id == service_id).order_by(Dependency.id)
    return list((await session.scalars(query)).all())


async def dependents_of(
    session: AsyncSession, service_id: uuid.UUID, *, component_id: uuid.UUID | None = None
) -> list[tuple[Service, Dependency]]:
    """Every service that depends on ``service_id``, directly or through others.

    Each dependent comes once, nearest first, with the dependency edge it was reached
    through: ``edge.depends_on_id`` is ``service_id`` or a service listed earlier, and
    ``edge.impact`` is the impact the dependent takes (None: the same as the service it
    depends on). With ``component_id`` (the trouble is in one component of ``service_id``),
    direct dependents on another component of it are left out; services further away
    depend on a whole service and are always included.
    """
    found: list[tuple[Service, Dependency]] = []
    seen: set[uuid.UUID] = {service_id}
    frontier: list[uuid.UUID] = [service_id]
    first_hop = True
    while frontier:
        query = (
            select(Dependency, Service)
            .join(Service, Service.id == Dependency.service_id)
            .where(Dependency.depends_on_id.in_(frontier))
            .order_by(Service.slug, Dependency.id)
        )
        if first_hop and component_id is not None:
            query = query.where(
                or_(Dependency.component_id.is_(None), Dependency.component_id == component_id)
            )
        rows = (await session.execute(query)).all()
        frontier = []
        for edge, dependent in rows:
            if dependent.id in seen:
                continue
            seen.add(dependent.id)
            found.append((dependent, edge))
            frontier.append(dependent.id)
        first_hop = False
    return found


async def depends_on_transitively(session: AsyncSession, service_id: uuid.UUID) -> set[uuid.UUID]:
    """Every service ``service_id`` needs, directly or through others."""
    needed: set[uuid.UUID] = set()
    frontier = {service_id}
    while frontier:
        query = select(Dependency.depends_on_id).where(Dependency.service_id.in_(frontier))
        targets = set((await session.scalars(query)).all()) - needed
        needed |= targets
        frontier = targets
    return needed


async def components_of_many(
    session: AsyncSession, service_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Component]]:
    """The components of each service, in display order (one query)."""
    found: dict[uuid.UUID, list[Component]] = {service_id: [] for service_id in service_ids}
    if not service_ids:
        return found
    query = (
        select(Component)
        .where(Component.service_id.in_(service_ids))
        .order_by(Component.position, Component.slug)
    )
    for component in (await session.scalars(query)).all():
        found[component.service_id].append(component)
    return found


async def dependency_refs_of_many(
    session: AsyncSession, service_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[str, str | None, str | None]]]:
    """What each service depends on as ``(service slug, component slug, impact)`` (one query)."""
    found: dict[uuid.UUID, list[tuple[str, str | None, str | None]]] = {
        service_id: [] for service_id in service_ids
    }
    if not service_ids:
        return found
    target = aliased(Service)
    query = (
        select(Dependency.service_id, target.slug, Component.slug, Dependency.impact)
        .join(target, target.id == Dependency.depends_on_id)
        .outerjoin(Component, Component.id == Dependency.component_id)
        .where(Dependency.service_id.in_(service_ids))
        .order_by(target.slug, Component.slug)
    )
    for service_id, slug, component, impact in (await session.execute(query)).all():
        found[service_id].append((slug, component, impact))
    return found


async def dependents_on_components(
    session: AsyncSession, component_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Ids of the services that depend on one of these components."""
    if not component_ids:
        return []
    query = select(Dependency.service_id).where(Dependency.component_id.in_(component_ids))
    return sorted(set((await session.scalars(query)).all()))


async def delete_components(session: AsyncSession, component_ids: Sequence[uuid.UUID]) -> None:
    """Remove components (dependencies on them go with them)."""
    if component_ids:
        await session.execute(delete(Component).where(Component.id.in_(component_ids)))


async def delete_dependencies(session: AsyncSession, service_id: uuid.UUID) -> None:
    """Forget everything the service depends on."""
    await session.execute(delete(Dependency).where(Dependency.service_id == service_id))


async def dependency_path(
    session: AsyncSession, start: uuid.UUID, goal: uuid.UUID
) -> list[str] | None:
    """Slugs along a chain of dependencies from ``start`` to ``goal``; None when there is none."""
    parents: dict[uuid.UUID, uuid.UUID | None] = {start: None}
    frontier = [start]
    while frontier and goal not in parents:
        query = select(Dependency.service_id, Dependency.depends_on_id).where(
            Dependency.service_id.in_(frontier)
        )
        frontier = []
        for source, target in (await session.execute(query)).all():
            if target not in parents:
                parents[target] = source
                frontier.append(target)
    if goal not in parents:
        return None
    chain: list[uuid.UUID] = []
    node: uuid.UUID | None = goal
    while node is not None:
        chain.append(node)
        node = parents[node]
    chain.reverse()
    rows = await session.execute(select(Service.id, Service.slug).where(Service.id.in_(chain)))
    slugs = {service_id: slug for service_id, slug in rows}
    return [slugs[node_id] for node_id in chain]


async def lock_catalog(session: AsyncSession) -> None:
    """Serialise catalog writes (PostgreSQL), so that two racing edits cannot form a cycle.

    SQLite has one writer at a time already.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.candor-catalog'))")
        )


async def what_keeps(session: AsyncSession, service_id: uuid.UUID) -> dict[str, int]:
    """What refers to the service and would stop its deletion, counted by kind."""
    from candor_incident_api.incidents.models import Incident, IncidentImpact
    from candor_incident_api.integrations.models import Integration, RoutingRule
    from candor_incident_api.maintenance.models import MaintenanceService, MaintenanceWindow

    async def count(query: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    concerned = or_(
        Incident.service_id == service_id,
        Incident.id.in_(
            select(IncidentImpact.incident_id).where(IncidentImpact.service_id == service_id)
        ),
    )
    return {
        "open incidents": await count(
            select(Incident.id).where(concerned, Incident.status != "resolved")
        ),
        "incidents on record": await count(select(Incident.id).where(concerned)),
        "dependent services": await count(
            select(Dependency.id).where(Dependency.depends_on_id == service_id)
        ),
        "integrations that route to it": await count(
            select(Integration.id).where(
                Integration.default_service_id == service_id, Integration.revoked_at.is_(None)
            )
        )
        + await count(select(RoutingRule.id).where(RoutingRule.service_id == service_id)),
        "maintenance windows to come": await count(
            select(MaintenanceService.window_id)
            .join(MaintenanceWindow, MaintenanceWindow.id == MaintenanceService.window_id)
            .where(
                MaintenanceService.service_id == service_id,
                MaintenanceWindow.status.in_(["scheduled", "in_progress"]),
            )
        ),
    }


async def group_agreements_of(
    session: AsyncSession, service_id: uuid.UUID
) -> list[tuple[GroupAgreement, SubscriberGroup]]:
    """The service's agreements with groups of users, with their groups, by group name."""
    rows = await session.execute(
        select(GroupAgreement, SubscriberGroup)
        .join(SubscriberGroup, SubscriberGroup.id == GroupAgreement.group_id)
        .where(GroupAgreement.service_id == service_id)
        .order_by(SubscriberGroup.name)
    )
    return [(agreement, group) for agreement, group in rows]


async def group_agreement(
    session: AsyncSession, service_id: uuid.UUID, group_id: uuid.UUID
) -> GroupAgreement | None:
    """The service's agreement with this group, if any."""
    return await session.get(GroupAgreement, (service_id, group_id))


async def services_with_group_agreement(
    session: AsyncSession, group_id: uuid.UUID
) -> list[Service]:
    """The services that have an agreement with this group, by slug, as stored now (rows
    already loaded in the session, by the group's services say, are read again: call it
    after :func:`lock_catalog` to bump their versions)."""
    rows = await session.scalars(
        select(Service)
        .join(GroupAgreement, GroupAgreement.service_id == Service.id)
        .where(GroupAgreement.group_id == group_id)
        .order_by(Service.slug)
        .execution_options(populate_existing=True)
    )
    return list(rows)
