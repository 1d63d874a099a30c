"""Rules of the service catalog.

A service is written whole (``replace_service``); creation, ``PATCH`` and ``PUT`` all end
there. A write that changes nothing is a no-op: no new version, no event. Every real change
bumps ``version`` and publishes the service's full state in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository
from candor_incident_api.catalog.events import publish_service_deleted, publish_service_upserted
from candor_incident_api.catalog.models import Component, Dependency, GroupAgreement, Service
from candor_incident_api.catalog.schemas import (
    ComponentOut,
    DependencyOut,
    GroupAgreementOut,
    GroupName,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    ServiceSpec,
    canonical,
    checkable,
    spec_of,
)
from candor_incident_api.errors import ApiError, conflict
from candor_incident_api.subscribers import repository as subscribers
from candor_incident_api.subscribers.events import publish_subscriber_upserted
from candor_incident_api.subscribers.models import SubscriberGroup
from candor_shared.clock import utcnow
from candor_shared.contract import AgreementTerms
from candor_shared.ids import uuid7

Outcome = Literal["created", "updated", "unchanged"]


async def views(session: AsyncSession, services: Sequence[Service]) -> list[ServiceOut]:
    """The API view of each service, components and dependencies included (two queries)."""
    ids = [service.id for service in services]
    components = await repository.components_of_many(session, ids)
    dependencies = await repository.dependency_refs_of_many(session, ids)
    return [
        ServiceOut(
            id=service.id,
            slug=service.slug,
            name=service.name,
            description=service.description,
            owners=list(service.owners),
            impact_wording=dict(service.impact_wording),
            notification_delay_seconds=service.notification_delay_seconds,
            flap_window_seconds=service.flap_window_seconds,
            agreement=AgreementTerms.model_validate(service.agreement)
            if service.agreement is not None
            else None,
            components=[
                ComponentOut(
                    id=c.id,
                    slug=c.slug,
                    name=c.name,
                    description=c.description,
                    position=c.position,
                )
                for c in components[service.id]
            ],
            depends_on=[
                DependencyOut(service=slug, component=component, impact=impact)
                for slug, component, impact in dependencies[service.id]
            ],
            version=service.version,
            created_at=service.created_at,
            updated_at=service.updated_at,
        )
        for service in services
    ]


async def view(session: AsyncSession, service: Service) -> ServiceOut:
    """The API view of one service."""
    (found,) = await views(session, [service])
    return found


async def for_write(session: AsyncSession, slug: str) -> Service | None:
    """The service to change, after taking the catalog's write lock."""
    await repository.lock_catalog(session)
    return await repository.get_by_slug(session, slug)


def _invalid(detail: str) -> ApiError:
    return ApiError(422, "Invalid dependency", detail)


async def _resolve_dependencies(
    session: AsyncSession, *, service_id: uuid.UUID | None, slug: str, spec: ServiceSpec
) -> list[tuple[Service, Component | None, str | None]]:
    """The dependencies of ``spec`` as rows; 422 for unknown targets, itself, or a cycle."""
    wanted = sorted({dep.service for dep in spec.depends_on})
    targets = {row.slug: row for row in await repository.get_many_by_slug(session, wanted)}
    resolved: list[tuple[Service, Component | None, str | None]] = []
    for index, dep in enumerate(spec.depends_on):
        where = f"body.depends_on.{index}"
        if dep.service == slug:
            raise _invalid(f"{where}.service: a service cannot depend on itself.")
        target = targets.get(dep.service)
        if target is None:
            raise _invalid(
                f"{where}.service: no service with slug {dep.service!r}; create it first."
            )
        component = None
        if dep.component is not None:
            component = (await repository.components_by_slug(session, target.id)).get(dep.component)
            if component is None:
                raise _invalid(
                    f"{where}.component: service {dep.service!r} has no component "
                    f"{dep.component!r}."
                )
        if service_id is not None:
            path = await repository.dependency_path(session, target.id, service_id)
            if path is not None:
                cycle = " → ".join([slug, *path])
                raise _invalid(f"{where}: this would make a cycle of dependencies: {cycle}.")
        resolved.append((target, component, dep.impact))
    return resolved


async def replace_service(
    *, session: AsyncSession, existing: Service | None, slug: str, spec: ServiceSpec
) -> tuple[ServiceOut, Outcome]:
    """Make the service ``slug`` exactly ``spec`` (creating it if ``existing`` is None).

    Components are matched by slug, so their ids (which alerts and routing rules refer to)
    survive; a component that disappears takes other services' dependencies on it along,
    and those services publish their new state too. Call after :func:`for_write`.
    """
    if existing is not None:
        current = await view(session, existing)
        if canonical(spec_of(current)) == canonical(spec):
            return current, "unchanged"
    dependencies = await _resolve_dependencies(
        session, service_id=existing.id if existing else None, slug=slug, spec=spec
    )
    now = utcnow()
    if existing is None:
        service = Service(id=uuid7(), slug=slug, version=1, created_at=now)
        session.add(service)
        outcome: Outcome = "created"
    else:
        service = existing
        service.version += 1
        outcome = "updated"
    service.name = spec.name
    service.description = spec.description
    service.owners = list(spec.owners)
    service.impact_wording = {level: text for level, text in spec.impact_wording.items()}
    service.notification_delay_seconds = spec.notification_delay_seconds
    service.flap_window_seconds = spec.flap_window_seconds
    service.agreement = spec.agreement.model_dump(mode="json") if spec.agreement else None
    service.updated_at = now
    await session.flush()

    have = await repository.components_by_slug(session, service.id)
    wanted = {component.slug for component in spec.components}
    removed = [component.id for slug_, component in have.items() if slug_ not in wanted]
    touched = [
        other
        for other in await repository.dependents_on_components(session, removed)
        if other != service.id
    ]
    await repository.delete_components(session, removed)
    for index, item in enumerate(spec.components):
        position = index if item.position is None else item.position
        component = have.get(item.slug)
        if component is None:
            session.add(
                Component(
                    id=uuid7(),
                    service_id=service.id,
                    slug=item.slug,
                    name=item.name,
                    description=item.description,
                    position=position,
                )
            )
        else:
            component.name = item.name
            component.description = item.description
            component.position = position
    await repository.delete_dependencies(session, service.id)
    for target, target_component, impact in dependencies:
        session.add(
            Dependency(
                id=uuid7(),
                service_id=service.id,
                depends_on_id=target.id,
                component_id=target_component.id if target_component else None,
                impact=impact,
            )
        )
    await session.flush()

    out = await view(session, service)
    await publish_service(session, out)
    for other_id in touched:
        other = await repository.get(session, other_id)
        if other is not None:
            other.version += 1
            other.updated_at = now
            await session.flush()
            await publish_service(session, await view(session, other))
    return out, outcome


async def publish_service(session: AsyncSession, out: ServiceOut) -> None:
    """Publish the service's whole state, its agreements with groups of users included."""
    await session.flush()
    publish_service_upserted(
        session,
        out,
        group_agreements=[
            (str(group.id), group.name, AgreementTerms.model_validate(agreement.terms))
            for agreement, group in await repository.group_agreements_of(session, out.id)
        ],
    )


async def group_agreements(session: AsyncSession, service: Service) -> list[GroupAgreementOut]:
    """The service's agreements with groups of users, by group name."""
    return [
        GroupAgreementOut(
            group=GroupName(id=group.id, name=group.name),
            terms=AgreementTerms.model_validate(agreement.terms),
        )
        for agreement, group in await repository.group_agreements_of(session, service.id)
    ]


async def _bump_and_publish(session: AsyncSession, service: Service) -> ServiceOut:
    service.version += 1
    service.updated_at = utcnow()
    await session.flush()
    out = await view(session, service)
    await publish_service(session, out)
    return out


async def put_group_agreement(
    *, session: AsyncSession, service: Service, group: SubscriberGroup, terms: AgreementTerms
) -> tuple[GroupAgreementOut, ServiceOut, Outcome]:
    """Make ``terms`` the service's agreement with ``group`` (complete terms that apply to
    that group instead of the service's own). A real change bumps the service's version and
    publishes it whole, like any change of the service; the same terms change nothing.
    Call after :func:`for_write`; 422 for terms sla-monitor could not evaluate."""
    try:
        checkable(terms)
    except ValueError as error:
        raise ApiError(422, "Invalid request", f"body.{error}") from None
    stored = terms.model_dump(mode="json")
    found = await repository.group_agreement(session, service.id, group.id)
    answer = GroupAgreementOut(group=GroupName(id=group.id, name=group.name), terms=terms)
    if found is not None and found.terms == stored:
        return answer, await view(session, service), "unchanged"
    if found is None:
        session.add(GroupAgreement(service_id=service.id, group_id=group.id, terms=stored))
        outcome: Outcome = "created"
    else:
        found.terms = stored
        outcome = "updated"
    return answer, await _bump_and_publish(session, service), outcome


async def delete_group_agreement(
    *, session: AsyncSession, service: Service, agreement: GroupAgreement
) -> ServiceOut:
    """Remove the service's agreement with a group: its members fall under the service's
    own agreement again. Bumps the version and publishes. Call after :func:`for_write`."""
    await session.delete(agreement)
    return await _bump_and_publish(session, service)


async def forget_group(*, session: AsyncSession, services: Sequence[Service]) -> None:
    """After a group was deleted (its agreements went with it): publish again each service
    that had an agreement with it, under a new version."""
    for service in services:
        await _bump_and_publish(session, service)


def _spec(data: dict[str, object]) -> ServiceSpec:
    try:
        return ServiceSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in ("body", *first["loc"]))
        raise ApiError(422, "Invalid request", f"{where}: {first['msg']}") from None


async def create_service(*, session: AsyncSession, data: ServiceIn) -> tuple[ServiceOut, bool]:
    """Create the service; returns it and whether it is new.

    Posting a slug that exists answers the service unchanged when every field sent matches
    it, and 409 when one differs (PUT or PATCH change a service).
    """
    existing = await for_write(session, data.slug)
    spec = _spec(data.model_dump(exclude={"slug"}))
    if existing is None:
        out, _ = await replace_service(session=session, existing=None, slug=data.slug, spec=spec)
        return out, True
    current = await view(session, existing)
    have, want = canonical(spec_of(current)), canonical(spec)
    differ = sorted(name for name in data.model_fields_set - {"slug"} if have[name] != want[name])
    if differ:
        raise conflict(
            f"Service {data.slug!r} exists with another {', '.join(differ)}; change it with "
            f"PUT or PATCH /v1/services/{data.slug}."
        )
    return current, False


async def patch_service(
    *, session: AsyncSession, service: Service, patch: ServicePatch
) -> tuple[ServiceOut, Outcome]:
    """Change the fields ``patch`` carries; the rest stays. Call after :func:`for_write`."""
    current = await view(session, service)
    merged = spec_of(current).model_dump()
    merged.update(patch.model_dump(include=patch.model_fields_set))
    return await replace_service(
        session=session, existing=service, slug=service.slug, spec=_spec(merged)
    )


async def delete_service(*, session: AsyncSession, service: Service) -> None:
    """Remove a service nothing needs any more; 409 naming what still refers to it.

    Subscribers who followed it stop following it (and the notifier is told).
    """
    blockers = await repository.what_keeps(session, service.id)
    named = [f"{n} {what}" for what, n in blockers.items() if n]
    if named:
        raise conflict(
            f"Service {service.slug!r} cannot be deleted while it has {', '.join(named)}. "
            "Services with incidents keep their history; resolve open incidents, remove the "
            "dependencies and routes to it, or leave it in the catalog."
        )
    followers = await subscribers.list_page(session, service=service.slug, after=None, limit=10**6)
    now = utcnow()
    for subscriber in followers:
        subscriber.subscriptions = [
            sub for sub in subscriber.subscriptions if sub.service_id != service.id
        ]
        subscriber.updated_at = now
    await session.flush()
    for subscriber in followers:
        publish_subscriber_upserted(session, subscriber)
    publish_service_deleted(session, service)
    await session.delete(service)
    await session.flush()
