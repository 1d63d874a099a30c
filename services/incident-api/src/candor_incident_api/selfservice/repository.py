"""Queries of self-service subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Component, Service
from candor_incident_api.selfservice.models import PendingSubscription, SignupAttempt


async def all_services(session: AsyncSession) -> list[Service]:
    """Every service of the catalog, by name: what the subscribe form offers."""
    return list((await session.scalars(select(Service).order_by(Service.name))).all())


async def components_by_service(session: AsyncSession) -> dict[str, list[Component]]:
    """Every component of the catalog under its service's slug, in the catalog's order: what
    the subscribe form offers besides whole services."""
    rows = await session.execute(
        select(Service.slug, Component)
        .join(Component, Component.service_id == Service.id)
        .order_by(Service.slug, Component.position, Component.name)
    )
    grouped: dict[str, list[Component]] = {}
    for slug, component in rows:
        grouped.setdefault(slug, []).append(component)
    return grouped


async def get_pending(session: AsyncSession, pending_id: uuid.UUID) -> PendingSubscription | None:
    """The pending subscription with this id, if it is still kept."""
    return await session.get(PendingSubscription, pending_id)


async def pending_of(session: AsyncSession, email: str) -> list[PendingSubscription]:
    """Every pending subscription of one address (for export)."""
    query = select(PendingSubscription).where(PendingSubscription.email == email)
    return list((await session.scalars(query.order_by(PendingSubscription.created_at))).all())


async def delete_pending_of(session: AsyncSession, email: str) -> list[uuid.UUID]:
    """Delete every pending subscription of the address; their ids."""
    deleted = await session.scalars(
        delete(PendingSubscription)
        .where(PendingSubscription.email == email)
        .returning(PendingSubscription.id)
    )
    return list(deleted.all())


async def delete_expired(session: AsyncSession, now: datetime) -> None:
    """Forget the requests nobody confirmed in time."""
    await session.execute(delete(PendingSubscription).where(PendingSubscription.expires_at <= now))


async def attempts_since(
    session: AsyncSession, *, scope: str, key_hash: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many sign-ups of this key were counted after ``since``, and the oldest of them."""
    row = (
        await session.execute(
            select(func.count(), func.min(SignupAttempt.at)).where(
                SignupAttempt.scope == scope,
                SignupAttempt.key_hash == key_hash,
                SignupAttempt.at > since,
            )
        )
    ).one()
    return int(row[0]), row[1]


def add_attempt(session: AsyncSession, *, scope: str, key_hash: str, at: datetime) -> None:
    """Count one sign-up of this key."""
    session.add(SignupAttempt(scope=scope, key_hash=key_hash, at=at))


async def delete_attempts_before(session: AsyncSession, before: datetime) -> None:
    """Drop the counts no limit looks at any more."""
    await session.execute(delete(SignupAttempt).where(SignupAttempt.at <= before))
