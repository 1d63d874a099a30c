"""What the catalog publishes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.catalog.schemas import ServiceOut
from candor_incident_api.outbox import publish
from candor_shared.contract import (
    AgreementTerms,
    ComponentRef,
    DependencyRef,
    ServiceDeleted,
    ServiceRef,
    ServiceUpserted,
)


def service_ref(service: Service) -> ServiceRef:
    """The service as events name it."""
    return ServiceRef(id=str(service.id), slug=service.slug, name=service.name)


def publish_service_upserted(
    session: AsyncSession,
    service: ServiceOut,
    *,
    group_agreements: Sequence[tuple[str, str, AgreementTerms]] = (),
) -> None:
    """Tell the workers the service's whole current state (not a difference), with its
    agreements with groups of users as (group id, group name, terms)."""
    publish(
        session,
        ServiceUpserted(
            id=str(service.id),
            slug=service.slug,
            name=service.name,
            description=service.description,
            owners=service.owners,
            impact_wording=service.impact_wording,
            notification_delay_seconds=service.notification_delay_seconds,
            flap_window_seconds=service.flap_window_seconds,
            components=[
                ComponentRef(id=str(c.id), slug=c.slug, name=c.name) for c in service.components
            ],
            depends_on=[
                DependencyRef(service=d.service, component=d.component, impact=d.impact)
                for d in service.depends_on
            ],
            agreement=service.agreement,
            group_agreements={group_id: terms for group_id, _, terms in group_agreements},
            group_names={group_id: name for group_id, name, _ in group_agreements},
            version=service.version,
        ),
        key=str(service.id),
        subject=service.slug,
    )


def publish_service_deleted(session: AsyncSession, service: Service) -> None:
    """Tell the workers the service is gone from the catalog."""
    publish(
        session,
        ServiceDeleted(id=str(service.id), slug=service.slug),
        key=str(service.id),
        subject=service.slug,
    )
