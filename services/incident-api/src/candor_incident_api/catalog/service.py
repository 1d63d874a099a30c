"""Rules of the service catalog."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository
from candor_incident_api.catalog.events import publish_service_upserted
from candor_incident_api.catalog.models import Service
from candor_incident_api.catalog.schemas import ServiceIn
from candor_shared.clock import utcnow
from candor_shared.ids import uuid7


async def upsert_service(*, session: AsyncSession, data: ServiceIn) -> tuple[Service, bool]:
    """Create the service, or rename it when the slug exists. Returns it and whether it is new.

    Publishes ``service.upserted`` only when something changed, so a repeated call is a no-op.
    """
    existing = await repository.get_by_slug(session, data.slug)
    now = utcnow()
    if existing is None:
        service = Service(
            id=uuid7(), slug=data.slug, name=data.name, created_at=now, updated_at=now
        )
        session.add(service)
        await session.flush()
        publish_service_upserted(session, service)
        return service, True
    if existing.name != data.name:
        existing.name = data.name
        existing.updated_at = now
        publish_service_upserted(session, existing)
    return existing, False
