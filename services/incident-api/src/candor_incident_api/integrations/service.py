"""Rules about integrations and their keys: creation, changes, revocation, each published."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository as catalog
from candor_incident_api.catalog.models import Service
from candor_incident_api.errors import ApiError, conflict
from candor_incident_api.integrations import events, keys, repository
from candor_incident_api.integrations.models import Integration
from candor_incident_api.integrations.schemas import (
    IntegrationIn,
    IntegrationOut,
    IntegrationPatch,
)
from candor_shared.clock import utcnow
from candor_shared.ids import uuid7


def ingest_url(public_url: str, source: str) -> str:
    """Where a source posts (PagerDuty clients may use ``/v2/enqueue`` as well)."""
    base = public_url.rstrip("/")
    if source in ("cloudwatch", "azure-monitor"):
        return f"{base}/v1/ingest/{source}?key=<integration key>"
    return f"{base}/v1/ingest/{source}"


def to_out(integration: Integration, services: list[str], *, public_url: str) -> IntegrationOut:
    """The API view of an integration (never with its key or signing secret)."""
    return IntegrationOut(
        id=integration.id,
        name=integration.name,
        source=integration.source,
        default_service=integration.default_service.slug if integration.default_service else None,
        services=services,
        rate_limit_per_minute=integration.rate_limit_per_minute,
        signed=integration.signing_secret is not None,
        key_prefix=integration.key_prefix,
        ingest_url=ingest_url(public_url, integration.source),
        version=integration.version,
        created_at=integration.created_at,
        revoked_at=integration.revoked_at,
    )


async def _service(session: AsyncSession, slug: str, where: str) -> Service:
    found = await catalog.get_by_slug(session, slug)
    if found is None:
        raise ApiError(422, "Unknown service", f"{where}: no service with slug {slug!r}.")
    return found


async def _services(session: AsyncSession, slugs: Sequence[str]) -> list[Service]:
    wanted = list(dict.fromkeys(slugs))
    found = {service.slug: service for service in await catalog.get_many_by_slug(session, wanted)}
    for index, slug in enumerate(wanted):
        if slug not in found:
            raise ApiError(
                422, "Unknown service", f"body.services.{index}: no service with slug {slug!r}."
            )
    return [found[slug] for slug in wanted]


def _secret_allowed(source: str, secret: str | None) -> None:
    if secret is not None and source == "cloudwatch":
        raise ApiError(
            422,
            "Signing not possible",
            "body.signing_secret: AWS SNS cannot sign with a shared secret; CloudWatch "
            "messages are checked by their SNS signature instead. Leave it out.",
        )


async def create_integration(
    *, session: AsyncSession, data: IntegrationIn
) -> tuple[Integration, list[str], str]:
    """Register a source; returns it, its allowed services and its key (stored hashed)."""
    _secret_allowed(data.source, data.signing_secret)
    default_service = None
    if data.default_service is not None:
        default_service = await _service(session, data.default_service, "body.default_service")
    services = await _services(session, data.services)
    key = data.key or keys.new_key()
    key_hash = keys.hash_key(key)
    existing = await repository.get_by_hash(session, key_hash)
    if existing is not None:
        raise conflict(
            "An integration with this key exists; choose another key."
            if existing.revoked_at is None
            else "This key belonged to a revoked integration and cannot be used again."
        )
    now = utcnow()
    integration = Integration(
        id=uuid7(),
        name=data.name,
        source=data.source,
        key_prefix=keys.display_prefix(key),
        key_hash=key_hash,
        default_service_id=default_service.id if default_service else None,
        default_service=default_service,
        signing_secret=data.signing_secret,
        rate_limit_per_minute=data.rate_limit_per_minute,
        version=1,
        created_at=now,
    )
    session.add(integration)
    await session.flush()
    await repository.replace_services(session, integration.id, services)
    slugs = sorted(service.slug for service in services)
    events.publish_changed(session, integration, slugs)
    return integration, slugs, key


async def update_integration(
    *, session: AsyncSession, integration: Integration, data: IntegrationPatch
) -> list[str]:
    """Apply the fields ``data`` carries; returns the allowed services. Publishes a change."""
    sent = data.model_fields_set
    if integration.revoked_at is not None:
        raise conflict("The integration is revoked; create a new one instead.")
    if "name" in sent:
        if data.name is None:
            raise ApiError(422, "Invalid request", "body.name: may not be null.")
        integration.name = data.name
    if "default_service" in sent:
        service = None
        if data.default_service is not None:
            service = await _service(session, data.default_service, "body.default_service")
        integration.default_service_id = service.id if service else None
        integration.default_service = service
    if "rate_limit_per_minute" in sent:
        integration.rate_limit_per_minute = data.rate_limit_per_minute
    if "signing_secret" in sent:
        _secret_allowed(integration.source, data.signing_secret)
        integration.signing_secret = data.signing_secret
    slugs = (await repository.service_slugs(session, [integration.id]))[integration.id]
    if "services" in sent:
        services = await _services(session, data.services or [])
        await repository.replace_services(session, integration.id, services)
        slugs = sorted(service.slug for service in services)
    integration.version += 1
    await session.flush()
    events.publish_changed(session, integration, slugs)
    return slugs


async def revoke_integration(*, session: AsyncSession, integration: Integration) -> None:
    """Stop accepting the integration's key; idempotent (published the first time)."""
    if integration.revoked_at is None:
        integration.revoked_at = utcnow()
        integration.version += 1
        await session.flush()
        slugs = (await repository.service_slugs(session, [integration.id]))[integration.id]
        events.publish_changed(session, integration, slugs)
