"""Queries on the service catalog."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Component, Dependency, Service

IMPACT_RANK: dict[str, int] = {"none": 0, "minor": 1, "major": 2, "critical": 3}


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
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Service.slug).like(pattern),
                func.lower(Service.name).like(pattern),
                func.lower(Service.description).like(pattern),
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
        rows = (await session.execute(query)).tuples().all()
        frontier = []
        for edge, dependent in rows:
            if dependent.id in seen:
                continue
            seen.add(dependent.id)
            found.append((dependent, edge))
            frontier.append(dependent.id)
        first_hop = False
    return found


async def dependent_impacts(
    session: AsyncSession,
    service_id: uuid.UUID,
    *,
    impact: str,
    component_id: uuid.UUID | None = None,
) -> list[tuple[Service, str, uuid.UUID]]:
    """The impact an incident of ``impact`` on ``service_id`` has on each dependent service.

    Returns ``(dependent, impact there, id of the service it depends on)``, nearest first.
    A dependency with its own impact gives the dependent that impact; without one the
    source's impact passes unchanged; an impact of ``none`` passes nothing on. When a
    service is reached by several paths, the worst impact wins.
    """
    best: dict[uuid.UUID, tuple[Service, str, uuid.UUID]] = {}
    order: list[uuid.UUID] = []
    level: dict[uuid.UUID, str] = {service_id: impact}
    frontier = [service_id]
    first_hop = True
    # The graph is acyclic (cycles are refused on write); a service is visited again only
    # when a worse path reaches it, so this ends.
    while frontier:
        query = select(Dependency, Service).join(Service, Service.id == Dependency.service_id)
        query = query.where(Dependency.depends_on_id.in_(frontier)).order_by(Service.slug)
        if first_hop and component_id is not None:
            query = query.where(
                or_(Dependency.component_id.is_(None), Dependency.component_id == component_id)
            )
        rows = (await session.execute(query)).tuples().all()
        frontier = []
        for edge, dependent in rows:
            if dependent.id == service_id:
                continue
            source_level = level[edge.depends_on_id]
            passed = source_level if source_level == "none" else edge.impact or source_level
            current = best.get(dependent.id)
            if current is None or IMPACT_RANK[passed] > IMPACT_RANK[current[1]]:
                if current is None:
                    order.append(dependent.id)
                best[dependent.id] = (dependent, passed, edge.depends_on_id)
                level[dependent.id] = passed
                if dependent.id not in frontier:
                    frontier.append(dependent.id)
        first_hop = False
    return [best[dependent_id] for dependent_id in order]


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


async def replace_components(
    session: AsyncSession, service_id: uuid.UUID, components: Sequence[Component]
) -> None:
    """Make ``components`` the service's only components (rows with the same id are kept)."""
    keep = {component.id for component in components}
    await session.execute(
        delete(Component).where(Component.service_id == service_id, Component.id.not_in(keep))
        if keep
        else delete(Component).where(Component.service_id == service_id)
    )


async def delete_dependencies(session: AsyncSession, service_id: uuid.UUID) -> None:
    """Forget everything the service depends on."""
    await session.execute(delete(Dependency).where(Dependency.service_id == service_id))
