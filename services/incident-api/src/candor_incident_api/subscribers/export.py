"""Everything incident-api holds about one subscriber, for their right of access.

incident-api's own tables only: the subscriber, their channels and subscriptions, their
answers to feedback forms (if that table exists), and requests to subscribe with their
address not yet confirmed. Which incidents they were notified about, and when, is in the
notifier's delivery ledger, which no other service reads: the export names it, under the
subscriber id, rather than copying it over the wire (the notifier erases it on
SubscriberErased like everything else).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.models import Base
from candor_incident_api.selfservice import repository as selfservice
from candor_incident_api.subscribers.events import component_refs, quiet_hours_of
from candor_incident_api.subscribers.models import Subscriber
from candor_incident_api.subscribers.schemas import ChannelOut
from candor_shared.contract import QuietHours

FEEDBACK_TABLE = "incident_feedback"


class FollowedService(BaseModel):
    """A service the subscriber follows."""

    slug: str
    name: str


class PendingRequest(BaseModel):
    """A request to subscribe with the subscriber's address, never confirmed."""

    id: uuid.UUID
    services: list[str]
    components: list[str] = Field(default_factory=list, description="service/component")
    timezone: str
    language: str
    created_at: datetime
    expires_at: datetime


class HeldElsewhere(BaseModel):
    """Data about the subscriber that another Candor service holds, under their id."""

    service: str
    what: str
    erased_by: str


class SubscriberExport(BaseModel):
    """Everything incident-api holds about one subscriber."""

    id: uuid.UUID
    name: str | None
    email: str | None
    channels: list[ChannelOut] = Field(
        description="Webhook signing secrets are held but not shown (`secret` is absent)."
    )
    services: list[FollowedService]
    components: list[str] = Field(default_factory=list, description="service/component")
    groups: list[str] = Field(default_factory=list, description="Names of their groups.")
    timezone: str
    language: str
    quiet_hours: QuietHours | None = None
    digest_every: timedelta | None = Field(default=None, json_schema_extra={"format": "duration"})
    created_at: datetime
    updated_at: datetime
    feedback: list[dict[str, Any]] = Field(
        description="Their answers to post-incident feedback forms, one per incident."
    )
    pending_requests: list[PendingRequest]
    held_elsewhere: list[HeldElsewhere]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


async def _feedback(session: AsyncSession, subscriber_id: uuid.UUID) -> list[dict[str, Any]]:
    table = Base.metadata.tables.get(FEEDBACK_TABLE)
    if table is None:
        return []
    rows = await session.execute(select(table).where(table.c.subscriber_id == subscriber_id))
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in rows]


async def export_subscriber(*, session: AsyncSession, subscriber: Subscriber) -> SubscriberExport:
    """The export of a subscriber whose subscriptions and channels are loaded."""
    channels = (
        [ChannelOut(type="email", address=subscriber.email, fallback=subscriber.email_fallback)]
        if subscriber.email
        else []
    )
    channels.extend(
        ChannelOut(type=c.type, url=c.url, fallback=c.fallback) for c in subscriber.channels
    )
    pending = await selfservice.pending_of(session, subscriber.email) if subscriber.email else []
    return SubscriberExport(
        id=subscriber.id,
        name=subscriber.name,
        email=subscriber.email,
        channels=channels,
        services=sorted(
            (
                FollowedService(slug=sub.service.slug, name=sub.service.name)
                for sub in subscriber.subscriptions
            ),
            key=lambda followed: followed.slug,
        ),
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
        feedback=await _feedback(session, subscriber.id),
        pending_requests=[
            PendingRequest(
                id=row.id,
                services=row.services,
                components=row.components or [],
                timezone=row.timezone,
                language=row.language,
                created_at=row.created_at,
                expires_at=row.expires_at,
            )
            for row in pending
        ],
        held_elsewhere=[
            HeldElsewhere(
                service="notifier",
                what="The delivery ledger: each notice sent to the subscriber (incident, kind, "
                "channel, when, outcome), and a copy of their address, channels and "
                "subscriptions to send with.",
                erased_by="DELETE /v1/subscribers/{id} (SubscriberErased)",
            ),
        ],
    )
