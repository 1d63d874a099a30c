"""Rules about subscribers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository as catalog
from candor_incident_api.catalog.models import Component, Service
from candor_incident_api.errors import ApiError
from candor_incident_api.idempotency import repository as idempotency
from candor_incident_api.idempotency.subjects import concerns_subscriber
from candor_incident_api.outbox import publish_tombstone
from candor_incident_api.selfservice import repository as selfservice
from candor_incident_api.subscribers import repository
from candor_incident_api.subscribers.channels import check_channel_url, new_webhook_secret
from candor_incident_api.subscribers.events import (
    component_refs,
    publish_subscriber_erased,
    publish_subscriber_upserted,
    quiet_hours_of,
)
from candor_incident_api.subscribers.models import (
    ComponentSubscription,
    Subscriber,
    SubscriberChannel,
    SubscriberGroup,
    Subscription,
)
from candor_incident_api.subscribers.schemas import ChannelOut, SubscriberIn, SubscriberOut
from candor_shared.clock import utcnow
from candor_shared.contract.topics import CATALOG
from candor_shared.ids import uuid7
from candor_shared.outbound import Allowlist, OutboundRefused


@dataclass
class Saved:
    """A subscriber after a POST: whether it is new, and the webhook secrets made now (shown
    in this answer only)."""

    subscriber: Subscriber
    is_new: bool
    new_secrets: dict[str, str] = field(default_factory=dict)


def to_out(subscriber: Subscriber, new_secrets: dict[str, str] | None = None) -> SubscriberOut:
    """The API view of a subscriber whose subscriptions and channels are loaded; secrets only
    for the channels in ``new_secrets``."""
    channels = (
        [ChannelOut(type="email", address=subscriber.email, fallback=subscriber.email_fallback)]
        if subscriber.email
        else []
    )
    channels.extend(
        ChannelOut(
            type=channel.type,
            url=channel.url,
            secret=(new_secrets or {}).get(channel.type),
            fallback=channel.fallback,
        )
        for channel in subscriber.channels
    )
    return SubscriberOut(
        id=subscriber.id,
        name=subscriber.name,
        email=subscriber.email,
        channels=channels,
        services=sorted(sub.service.slug for sub in subscriber.subscriptions),
        components=component_refs(subscriber),
        groups=sorted(group.name for group in subscriber.groups),
        timezone=subscriber.timezone,
        language=subscriber.language,
        quiet_hours=quiet_hours_of(subscriber),
        digest_every=(
            timedelta(seconds=subscriber.digest_seconds) if subscriber.digest_seconds else None
        ),
        created_at=subscriber.created_at,
        updated_at=subscriber.updated_at,
    )


async def _check_urls(data: SubscriberIn, allowlist: Allowlist) -> None:
    """422 naming the first channel whose URL Candor will not post to, and why."""
    for position, channel in data.url_channels() or []:
        try:
            await check_channel_url(channel_type=channel.type, url=channel.url, allowlist=allowlist)
        except OutboundRefused as exc:
            raise ApiError(
                422,
                "Refused URL",
                f"body.channels[{position}].url: {exc}",
            ) from None


def _replace_channels(
    subscriber: Subscriber, data: SubscriberIn, now: datetime
) -> tuple[bool, dict[str, str]]:
    """Give the subscriber the channels ``data`` names (a channel whose URL is unchanged keeps
    its secret), each a fallback or not as ``data`` says. Returns whether anything changed
    and the webhook secrets made."""
    wanted = data.url_channels()
    if wanted is None:
        return False, {}
    email_fallback = data.email_fallback
    fallback_changed = subscriber.email_fallback != email_fallback
    subscriber.email_fallback = email_fallback
    current = {channel.type: channel for channel in subscriber.channels}
    kept: list[SubscriberChannel] = []
    new_secrets: dict[str, str] = {}
    for _, channel in wanted:
        existing = current.get(channel.type)
        if existing is not None and existing.url == channel.url:
            fallback_changed |= existing.fallback != channel.fallback
            existing.fallback = channel.fallback
            kept.append(existing)
            continue
        secret = new_webhook_secret() if channel.type == "webhook" else None
        if secret is not None:
            new_secrets[channel.type] = secret
        kept.append(
            SubscriberChannel(
                subscriber_id=subscriber.id,
                type=channel.type,
                url=channel.url,
                secret=secret,
                created_at=now,
                fallback=channel.fallback,
            )
        )
    before = {(c.type, c.url) for c in current.values()}
    changed = before != {(c.type, c.url) for c in kept}
    if changed:
        subscriber.channels = sorted(kept, key=lambda c: c.type)
    return changed or fallback_changed, new_secrets


async def resolve_components(
    session: AsyncSession, refs: list[str], *, field_name: str = "body.components"
) -> list[tuple[Service, Component]]:
    """The (service, component) pairs named ``service/component``; 422 naming each unknown."""
    found = await repository.components_by_ref(session, set(refs))
    unknown = sorted(set(refs) - set(found))
    if unknown:
        raise ApiError(
            422,
            "Unknown component",
            f"{field_name}: no component {', '.join(map(repr, unknown))}; components are "
            "service-slug/component-slug as GET /v1/services/{slug} lists them.",
        )
    return [found[ref] for ref in sorted(found)]


async def resolve_groups(
    session: AsyncSession, names: list[str], *, field_name: str = "body.groups"
) -> list[SubscriberGroup]:
    """The groups with these names; 422 naming each unknown one."""
    found = await repository.groups_by_name(session, set(names))
    unknown = sorted(set(names) - set(found))
    if unknown:
        raise ApiError(
            422,
            "Unknown group",
            f"{field_name}: no group named {', '.join(map(repr, unknown))}; "
            "create it first with POST /v1/groups.",
        )
    return [found[name] for name in sorted(found)]


def _set_audience(
    subscriber: Subscriber,
    data: SubscriberIn,
    components: list[tuple[Service, Component]] | None,
    groups: list[SubscriberGroup] | None,
) -> bool:
    """Give the subscriber the components, groups, quiet hours and digest period ``data``
    names (absent fields keep theirs). Returns whether anything changed."""
    changed = False
    if components is not None and {c.id for _, c in components} != {
        sub.component_id for sub in subscriber.component_subscriptions
    }:
        subscriber.component_subscriptions = [
            ComponentSubscription(
                subscriber_id=subscriber.id,
                component_id=component.id,
                component=component,
                service=service,
            )
            for service, component in components
        ]
        changed = True
    if groups is not None and {g.id for g in groups} != {g.id for g in subscriber.groups}:
        subscriber.groups = groups
        changed = True
    given = data.model_fields_set
    if "quiet_hours" in given:
        hours = data.quiet_hours
        start = hours.start.replace(tzinfo=None) if hours else None
        end = hours.end.replace(tzinfo=None) if hours else None
        if (subscriber.quiet_start, subscriber.quiet_end) != (start, end):
            subscriber.quiet_start, subscriber.quiet_end = start, end
            changed = True
    if "digest_every" in given:
        seconds = int(data.digest_every.total_seconds()) if data.digest_every else None
        if subscriber.digest_seconds != seconds:
            subscriber.digest_seconds = seconds
            changed = True
    return changed


async def upsert_subscriber(
    *, session: AsyncSession, data: SubscriberIn, allowlist: Allowlist | None = None
) -> Saved:
    """Create the subscriber, or update the one with this email address: the services given
    replace the ones they had, and so do the channels when ``channels`` is given.

    Unknown service slugs (422, naming each) and URLs the outbound guard refuses (422, with
    the reason) are refused before anything changes. Publishes only on a real change.
    """
    slugs = sorted(set(data.services))
    services = await catalog.get_many_by_slug(session, slugs)
    unknown = sorted(set(slugs) - {service.slug for service in services})
    if unknown:
        raise ApiError(
            422,
            "Unknown service",
            f"body.services: no service with slug {', '.join(map(repr, unknown))}; "
            "create it first with POST /v1/services.",
        )
    components = (
        await resolve_components(session, data.components) if data.components is not None else None
    )
    groups = await resolve_groups(session, data.groups) if data.groups is not None else None
    await _check_urls(data, allowlist or Allowlist())
    now = utcnow()
    address = data.address
    subscriber = await repository.get_by_email(session, address) if address else None
    is_new = subscriber is None
    if subscriber is None:
        subscriber = Subscriber(
            id=uuid7(),
            email=address,
            email_fallback=data.email_fallback,
            name=data.name,
            timezone=data.timezone,
            language=data.language,
            created_at=now,
            updated_at=now,
            subscriptions=[],
            channels=[],
            component_subscriptions=[],
            groups=[],
        )
        session.add(subscriber)
    # The answer carries their address (and maybe a webhook secret): erasure must find it.
    concerns_subscriber(session, subscriber.id)
    channels_changed, new_secrets = _replace_channels(subscriber, data, now)
    audience_changed = _set_audience(subscriber, data, components, groups)
    name_changed = data.name is not None and subscriber.name != data.name
    current = {sub.service.slug for sub in subscriber.subscriptions}
    changed = (
        is_new
        or channels_changed
        or audience_changed
        or name_changed
        or current != set(slugs)
        or subscriber.timezone != data.timezone
        or subscriber.language != data.language
    )
    if not changed:
        return Saved(subscriber=subscriber, is_new=False)
    if name_changed:
        subscriber.name = data.name
    subscriber.timezone = data.timezone
    subscriber.language = data.language
    subscriber.updated_at = now
    if current != set(slugs):
        subscriber.subscriptions = [
            Subscription(subscriber_id=subscriber.id, service_id=service.id, service=service)
            for service in services
        ]
    await session.flush()
    publish_subscriber_upserted(session, subscriber)
    return Saved(subscriber=subscriber, is_new=is_new, new_secrets=new_secrets)


async def erase_subscriber(*, session: AsyncSession, subscriber: Subscriber) -> None:
    """Delete the subscriber (address, channels, secrets, feedback, requests to subscribe
    not confirmed, outbox rows not yet published, answers kept for an Idempotency-Key) and
    tell the other services to forget them too."""
    subscriber_id = str(subscriber.id)
    keys = [subscriber_id]
    if subscriber.email:
        # Requests to subscribe that were never confirmed, and their confirmation emails
        # still waiting in the outbox, carry the address too.
        pending = await selfservice.delete_pending_of(session, subscriber.email)
        keys.extend(str(pending_id) for pending_id in pending)
    await repository.delete_unpublished(session, keys)
    # Answers kept for an Idempotency-Key: sealed, yet their caller could replay them.
    await idempotency.delete_of_subscriber(session, subscriber.id)
    await session.delete(subscriber)
    publish_subscriber_erased(session, subscriber_id)
    for key in keys[1:]:
        publish_tombstone(session, topic=CATALOG, key=key)


async def unsubscribe_from_everything(*, session: AsyncSession, subscriber: Subscriber) -> bool:
    """Stop every notice to the subscriber: they follow no service or component and belong to
    no group any more (their address and channels stay until they are erased). True when
    they followed something."""
    if not (subscriber.subscriptions or subscriber.component_subscriptions or subscriber.groups):
        return False
    subscriber.subscriptions = []
    subscriber.component_subscriptions = []
    subscriber.groups = []
    subscriber.updated_at = utcnow()
    await session.flush()
    publish_subscriber_upserted(session, subscriber)
    return True
