"""Who feels an incident: its own service, and every service that depends on it.

A dependency on a whole service is hit by any incident there; a dependency on one component
only by incidents of that component (or of the whole service, when the incident names no
component). Impact travels along the dependency chain, capped by the level a dependency
declares ("if the network is down, printing is only minor for us").
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import cast

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.events import service_ref
from candor_incident_api.catalog.models import Component, Dependency, Service
from candor_incident_api.incidents.models import IncidentImpact
from candor_shared.contract import AffectedService
from candor_shared.contract.incidents import Impact
from candor_shared.ids import uuid7

LEVELS = ("none", "minor", "major", "critical")


def lower_of(first: str, second: str | None) -> str:
    """The milder of two impact levels (``None``: no cap)."""
    if second is None:
        return first
    return first if LEVELS.index(first) <= LEVELS.index(second) else second


@dataclass(frozen=True, slots=True)
class Affected:
    """One service an incident affects."""

    service: Service
    impact: str
    components: tuple[str, ...] = ()
    via: Service | None = None


async def affected_by(
    session: AsyncSession, service: Service, component_id: uuid.UUID | None, impact: str
) -> list[Affected]:
    """The incident's service first, then its dependents, each once with the worst impact
    it feels over every path (a service reached through a capped dependency and through an
    uncapped one feels the uncapped level)."""
    components: tuple[str, ...] = ()
    if component_id is not None:
        slug = await session.scalar(select(Component.slug).where(Component.id == component_id))
        components = (slug,) if slug else ()
    found: dict[uuid.UUID, Affected] = {
        service.id: Affected(service=service, impact=impact, components=components)
    }
    edges = await _dependency_edges(session, service.id)
    # Levels only rise, so relaxing until nothing changes ends (at most 3 rises a service).
    frontier: list[tuple[Service, uuid.UUID | None, str]] = [(service, component_id, impact)]
    while frontier:
        following: list[tuple[Service, uuid.UUID | None, str]] = []
        for origin, comp, level in frontier:
            for dependency, dependent in edges.get(origin.id, ()):
                if dependency.component_id is not None and comp not in (
                    None,
                    dependency.component_id,
                ):
                    continue
                if dependent.id == service.id:
                    continue
                felt = lower_of(level, dependency.impact)
                known = found.get(dependent.id)
                if known is not None and LEVELS.index(known.impact) >= LEVELS.index(felt):
                    continue
                found[dependent.id] = Affected(service=dependent, impact=felt, via=origin)
                # What a dependent feels, its own dependents feel through it as a whole.
                following.append((dependent, None, felt))
        frontier = following
    return list(found.values())


async def _dependency_edges(
    session: AsyncSession, origin_id: uuid.UUID
) -> dict[uuid.UUID, list[tuple[Dependency, Service]]]:
    """Every dependency edge reachable from ``origin_id``, by the service depended on."""
    edges: dict[uuid.UUID, list[tuple[Dependency, Service]]] = {}
    seen = {origin_id}
    wanted = [origin_id]
    while wanted:
        rows = (
            await session.execute(
                select(Dependency, Service)
                .join(Service, Service.id == Dependency.service_id)
                .where(Dependency.depends_on_id.in_(wanted))
                .order_by(Dependency.id)
            )
        ).all()
        wanted = []
        for dependency, dependent in rows:
            edges.setdefault(dependency.depends_on_id, []).append((dependency, dependent))
            if dependent.id not in seen:
                seen.add(dependent.id)
                wanted.append(dependent.id)
    return edges


def rows(incident_id: uuid.UUID, affected: list[Affected]) -> list[dict[str, object]]:
    """The impact rows of an incident, ready for a bulk insert."""
    return [
        {
            "id": uuid7(),
            "incident_id": incident_id,
            "service_id": item.service.id,
            "impact": item.impact,
            "components": list(item.components),
            "via_service_id": item.via.id if item.via else None,
        }
        for item in affected
    ]


async def insert_rows(session: AsyncSession, new_rows: list[dict[str, object]]) -> None:
    """Insert impact rows of new incidents (after the incidents themselves)."""
    if new_rows:
        await session.execute(insert(IncidentImpact), new_rows)


async def record(session: AsyncSession, incident_id: uuid.UUID, affected: list[Affected]) -> None:
    """Replace the impact rows of an existing incident."""
    await session.execute(delete(IncidentImpact).where(IncidentImpact.incident_id == incident_id))
    await insert_rows(session, rows(incident_id, affected))


def wording_for(wording: dict[str, str] | None, level: str) -> str:
    """The service's words for ``level``; failing that, for the nearest level it has words
    for (the more severe one first: better to overstate a little than to play it down)."""
    wording = wording or {}
    if wording.get(level):
        return wording[level]
    rank = LEVELS.index(level) if level in LEVELS else 2
    nearest = sorted(
        (lvl for lvl in LEVELS[1:] if wording.get(lvl)),
        key=lambda lvl: (abs(LEVELS.index(lvl) - rank), LEVELS.index(lvl) < rank),
    )
    return wording[nearest[0]] if nearest and level != "none" else ""


def contract(affected: list[Affected]) -> list[AffectedService]:
    """The impacts as events carry them, with each service's wording for its level."""
    return [
        AffectedService(
            service=service_ref(item.service),
            impact=cast(Impact, item.impact),
            components=list(item.components),
            via=item.via.slug if item.via else None,
            wording=wording_for(item.service.impact_wording, item.impact),
        )
        for item in affected
    ]


async def load(
    session: AsyncSession, incident_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Affected]]:
    """The recorded impacts of incidents, the incident's own service first."""
    if not incident_ids:
        return {}
    via = Service.__table__.alias("via")
    rows = (
        await session.execute(
            select(IncidentImpact, Service, via.c.id, via.c.slug, via.c.name)
            .join(Service, Service.id == IncidentImpact.service_id)
            .outerjoin(via, via.c.id == IncidentImpact.via_service_id)
            .where(IncidentImpact.incident_id.in_(incident_ids))
            .order_by(IncidentImpact.incident_id, IncidentImpact.via_service_id.is_not(None))
        )
    ).all()
    result: dict[uuid.UUID, list[Affected]] = {}
    for impact, service, via_id, via_slug, via_name in rows:
        origin = Service(id=via_id, slug=via_slug, name=via_name) if via_id else None
        result.setdefault(impact.incident_id, []).append(
            Affected(
                service=service,
                impact=impact.impact,
                components=tuple(impact.components or ()),
                via=origin,
            )
        )
    return result
