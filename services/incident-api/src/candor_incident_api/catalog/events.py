"""What the catalog publishes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.outbox import publish
from candor_shared.contract import ServiceRef, ServiceUpserted


def service_ref(service: Service) -> ServiceRef:
    """The service as events name it."""
    return ServiceRef(id=str(service.id), slug=service.slug, name=service.name)


def publish_service_upserted(session: AsyncSession, service: Service) -> None:
    """Tell the workers the service's current name."""
    publish(
        session,
        ServiceUpserted(id=str(service.id), slug=service.slug, name=service.name),
        key=str(service.id),
        subject=service.slug,
    )
