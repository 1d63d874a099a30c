"""Rules about integrations and their keys."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository as catalog
from candor_incident_api.errors import ApiError, conflict
from candor_incident_api.integrations import keys, repository
from candor_incident_api.integrations.models import Integration
from candor_incident_api.integrations.schemas import IntegrationIn, IntegrationOut
from candor_shared.clock import utcnow
from candor_shared.ids import uuid7


def to_out(integration: Integration, *, public_url: str) -> IntegrationOut:
    """The API view of an integration (never with its key)."""
    return IntegrationOut(
        id=integration.id,
        name=integration.name,
        source=integration.source,
        default_service=integration.default_service.slug if integration.default_service else None,
        key_prefix=integration.key_prefix,
        ingest_url=f"{public_url.rstrip('/')}/v1/ingest/{integration.source}",
        created_at=integration.created_at,
        revoked_at=integration.revoked_at,
    )


async def create_integration(
    *, session: AsyncSession, data: IntegrationIn
) -> tuple[Integration, str]:
    """Register a source; returns it with its key, which is stored only as a hash."""
    default_service = None
    if data.default_service is not None:
        default_service = await catalog.get_by_slug(session, data.default_service)
        if default_service is None:
            raise ApiError(
                422,
                "Unknown service",
                f"body.default_service: no service with slug {data.default_service!r}.",
            )
    key = data.key or keys.new_key()
    key_hash = keys.hash_key(key)
    if await repository.get_active_by_hash(session, key_hash) is not None:
        raise conflict("An integration with this key exists; choose another key.")
    integration = Integration(
        id=uuid7(),
        name=data.name,
        source=data.source,
        key_prefix=keys.display_prefix(key),
        key_hash=key_hash,
        default_service_id=default_service.id if default_service else None,
        default_service=default_service,
        created_at=utcnow(),
    )
    session.add(integration)
    await session.flush()
    return integration, key


async def revoke_integration(*, session: AsyncSession, integration: Integration) -> None:
    """Stop accepting the integration's key; idempotent."""
    if integration.revoked_at is None:
        integration.revoked_at = utcnow()
