"""Rules of self-service subscriptions: double opt-in, limits per address and per IP, and
preferences behind a signed link.

Every request to subscribe gets the same answer, whether or not the address already
subscribes, so that the page never tells a stranger who is subscribed. The confirmation email
is the notifier's to send (incident-api never talks SMTP): it is an event in the outbox,
deleted by the relay once published.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.outbox import publish, publish_tombstone
from candor_incident_api.selfservice import repository
from candor_incident_api.selfservice.models import PendingSubscription
from candor_incident_api.subscribers import service as subscribers
from candor_incident_api.subscribers.models import Subscriber
from candor_incident_api.subscribers.schemas import SubscriberIn
from candor_shared.contract import SubscriptionConfirmationRequested
from candor_shared.contract.topics import CATALOG
from candor_shared.ids import uuid7
from candor_shared.subscription_links import confirmation_token
from candor_shared.unsubscribe import sign

WINDOW = timedelta(hours=1)
_LIMIT_LABEL = b"candor-signup-limit.v1:"


@dataclass(frozen=True)
class Limits:
    """Sign-ups an hour per address and per client IP."""

    per_address: int
    per_ip: int


@dataclass(frozen=True)
class Refused:
    """Too many sign-ups: when to try again, in whole seconds."""

    retry_after: int


@dataclass(frozen=True)
class Request:
    """A valid request to subscribe, as the form sent it."""

    email: str
    services: list[str]
    timezone: str
    language: str
    components: list[str] = field(default_factory=list)
    """``service-slug/component-slug`` of components followed on their own."""


async def _catalog(session: AsyncSession) -> tuple[dict[str, str], dict[str, str]]:
    """The names the confirmation email shows: services by slug, and components by
    ``service/component`` as "Service: Component"."""
    services = {s.slug: s.name for s in await repository.all_services(session)}
    components = {
        f"{slug}/{component.slug}": f"{services[slug]}: {component.name}"
        for slug, listed in (await repository.components_by_service(session)).items()
        for component in listed
    }
    return services, components


def _key_hash(scope: str, value: str, secret: str) -> str:
    # Keyed, so that a leaked table cannot be matched against a list of addresses.
    return sign(_LIMIT_LABEL, f"{scope}:{value.lower()}", secret)


async def _over_limit(
    session: AsyncSession, *, keys: list[tuple[str, str, int]], now: datetime
) -> Refused | None:
    for scope, key_hash, limit in keys:
        count, oldest = await repository.attempts_since(
            session, scope=scope, key_hash=key_hash, since=now - WINDOW
        )
        if count >= limit:
            free_at = (oldest or now) + WINDOW
            return Refused(retry_after=max(1, math.ceil((free_at - now).total_seconds())))
    return None


async def request_subscription(
    *,
    session: AsyncSession,
    request: Request,
    client_ip: str,
    limits: Limits,
    secret: str,
    public_url: str,
    confirm_for: timedelta,
    now: datetime,
) -> Refused | None:
    """Count the sign-up against its address and IP (Refused past a limit, nothing kept),
    keep the request as pending and ask the notifier to email its confirmation link."""
    await repository.delete_attempts_before(session, now - WINDOW)
    await repository.delete_expired(session, now)
    keys = [
        ("ip", _key_hash("ip", client_ip, secret), limits.per_ip),
        ("address", _key_hash("address", request.email, secret), limits.per_address),
    ]
    refused = await _over_limit(session, keys=keys, now=now)
    if refused is not None:
        return refused
    for scope, key_hash, _ in keys:
        repository.add_attempt(session, scope=scope, key_hash=key_hash, at=now)
    services, components = await _catalog(session)
    chosen = [slug for slug in sorted(set(request.services)) if slug in services]
    chosen_components = [ref for ref in sorted(set(request.components)) if ref in components]
    pending = PendingSubscription(
        id=uuid7(),
        email=request.email,
        services=chosen,
        components=chosen_components,
        timezone=request.timezone,
        language=request.language,
        created_at=now,
        expires_at=now + confirm_for,
    )
    session.add(pending)
    token = confirmation_token(str(pending.id), pending.expires_at, secret)
    publish(
        session,
        SubscriptionConfirmationRequested(
            id=str(pending.id),
            address=request.email,
            confirm_url=f"{public_url.rstrip('/')}/subscribe/confirm/{token}",
            expires_at=pending.expires_at.isoformat(),
            language=request.language,
            # The email lists what they chose: whole services, then parts of services.
            services=[services[slug] for slug in chosen]
            + [components[ref] for ref in chosen_components],
        ),
        key=str(pending.id),
    )
    return None


async def confirm(
    *, session: AsyncSession, pending_id: uuid.UUID, now: datetime
) -> Subscriber | None:
    """Make the pending request a subscriber (or update the one with that address: what
    they chose replaces what they followed) and forget it. None when nothing is pending any
    more (confirmed already, or expired and forgotten)."""
    pending = await repository.get_pending(session, pending_id)
    if pending is None or pending.expires_at <= now:
        return None
    # What left the catalog since the request is left out, not refused.
    services, components = await _catalog(session)
    data = SubscriberIn(
        email=pending.email,
        services=[slug for slug in pending.services if slug in services],
        components=[ref for ref in pending.components or [] if ref in components],
        timezone=pending.timezone,
        language=pending.language,
    )
    await session.delete(pending)
    # The confirmation request carried the address: let a compacted topic forget it.
    publish_tombstone(session, topic=CATALOG, key=str(pending_id))
    saved = await subscribers.upsert_subscriber(session=session, data=data)
    return saved.subscriber


async def change_preferences(
    *,
    session: AsyncSession,
    subscriber: Subscriber,
    services: list[str],
    components: list[str],
    timezone: str,
    language: str,
) -> Subscriber:
    """Give the subscriber the services, components, timezone and language chosen on their
    preferences page (their channels stay); publishes only on a real change."""
    known, known_components = await _catalog(session)
    data = SubscriberIn(
        email=subscriber.email,
        name=subscriber.name,
        services=[slug for slug in services if slug in known],
        components=[ref for ref in components if ref in known_components],
        timezone=timezone,
        language=language,
    )
    saved = await subscribers.upsert_subscriber(session=session, data=data)
    return saved.subscriber
