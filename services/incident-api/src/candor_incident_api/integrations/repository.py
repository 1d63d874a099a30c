"""Queries on integrations, their allowed services and SNS subscription confirmations."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from candor_incident_api.catalog.models import Service
from candor_incident_api.integrations.models import (
    Integration,
    IntegrationService,
    SubscriptionConfirmation,
)


async def get_active_by_hash(session: AsyncSession, key_hash: str) -> Integration | None:
    """The unrevoked integration whose key hashes to ``key_hash``, with its default service."""
    return await session.scalar(
        select(Integration)
        .where(Integration.key_hash == key_hash, Integration.revoked_at.is_(None))
        .options(selectinload(Integration.default_service))
    )


async def get_by_hash(session: AsyncSession, key_hash: str) -> Integration | None:
    """The integration (revoked or not) whose key hashes to ``key_hash``."""
    return await session.scalar(select(Integration).where(Integration.key_hash == key_hash))


async def get(
    session: AsyncSession, integration_id: uuid.UUID, *, for_update: bool = False
) -> Integration | None:
    """One integration by id, with its default service."""
    query = (
        select(Integration)
        .where(Integration.id == integration_id)
        .options(selectinload(Integration.default_service))
    )
    if for_update:
        query = query.with_for_update(of=Integration)
    return await session.scalar(query)


async def list_page(
    session: AsyncSession,
    *,
    after: uuid.UUID | None,
    limit: int,
    source: str | None = None,
    revoked: bool | None = None,
) -> list[Integration]:
    """Integrations in id (creation) order after the cursor, filtered."""
    query = (
        select(Integration)
        .order_by(Integration.id)
        .limit(limit)
        .options(selectinload(Integration.default_service))
    )
    if after is not None:
        query = query.where(Integration.id > after)
    if source is not None:
        query = query.where(Integration.source == source)
    if revoked is True:
        query = query.where(Integration.revoked_at.is_not(None))
    elif revoked is False:
        query = query.where(Integration.revoked_at.is_(None))
    return list((await session.scalars(query)).all())


async def service_slugs(
    session: AsyncSession, integration_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """For each integration, the slugs of the services it may post for (sorted)."""
    ids = list(integration_ids)
    found: dict[uuid.UUID, list[str]] = {integration_id: [] for integration_id in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(IntegrationService.integration_id, Service.slug)
        .join(Service, Service.id == IntegrationService.service_id)
        .where(IntegrationService.integration_id.in_(ids))
        .order_by(Service.slug)
    )
    for integration_id, slug in rows:
        found[integration_id].append(slug)
    return found


async def replace_services(
    session: AsyncSession, integration_id: uuid.UUID, services: Iterable[Service]
) -> None:
    """Make ``services`` the integration's whole allow-list."""
    await session.execute(
        delete(IntegrationService).where(IntegrationService.integration_id == integration_id)
    )
    session.add_all(
        IntegrationService(integration_id=integration_id, service_id=service.id)
        for service in services
    )
    await session.flush()


async def confirmations_page(
    session: AsyncSession, integration_id: uuid.UUID, *, before: uuid.UUID | None, limit: int
) -> list[SubscriptionConfirmation]:
    """An integration's SNS subscription confirmations, newest first."""
    query = (
        select(SubscriptionConfirmation)
        .where(SubscriptionConfirmation.integration_id == integration_id)
        .order_by(SubscriptionConfirmation.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(SubscriptionConfirmation.id < before)
    return list((await session.scalars(query)).all())


async def get_confirmation(
    session: AsyncSession, integration_id: uuid.UUID, confirmation_id: uuid.UUID
) -> SubscriptionConfirmation | None:
    """One confirmation of one integration."""
    return await session.scalar(
        select(SubscriptionConfirmation).where(
            SubscriptionConfirmation.id == confirmation_id,
            SubscriptionConfirmation.integration_id == integration_id,
        )
    )


async def pending_confirmation(
    session: AsyncSession, integration_id: uuid.UUID, subscribe_url: str
) -> SubscriptionConfirmation | None:
    """The unconfirmed confirmation with this SubscribeURL, if SNS sent it before."""
    return await session.scalar(
        select(SubscriptionConfirmation).where(
            SubscriptionConfirmation.integration_id == integration_id,
            SubscriptionConfirmation.subscribe_url == subscribe_url,
            SubscriptionConfirmation.confirmed_at.is_(None),
        )
    )
