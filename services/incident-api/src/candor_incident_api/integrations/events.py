"""What the integrations domain publishes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.integrations.models import Integration
from candor_incident_api.outbox import publish
from candor_shared.contract import IntegrationChanged


def publish_changed(session: AsyncSession, integration: Integration, services: list[str]) -> None:
    """Tell the workers the integration's state (never its key or signing secret)."""
    publish(
        session,
        IntegrationChanged(
            id=str(integration.id),
            name=integration.name,
            source=integration.source,
            default_service=(
                integration.default_service.slug if integration.default_service else None
            ),
            services=services,
            revoked=integration.revoked_at is not None,
            rate_limit_per_minute=integration.rate_limit_per_minute,
            signed=integration.signing_secret is not None,
            version=integration.version,
        ),
        key=str(integration.id),
        subject=integration.name,
    )
