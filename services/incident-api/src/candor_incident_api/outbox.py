"""Publishing from incident-api: an event is an outbox row in the request's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.models import OutboxRecord
from candor_shared.contract import EventData, new_event
from candor_shared.kafka import add_event, add_tombstone

SOURCE = "/candor/incident-api"


def publish(
    session: AsyncSession, data: EventData, *, key: str, subject: str | None = None
) -> None:
    """Stage ``data`` as a CloudEvent keyed by ``key``; it is sent after the commit."""
    add_event(session, OutboxRecord, new_event(data, source=SOURCE, key=key, subject=subject))
    session.info["outbox_written"] = True


def publish_tombstone(session: AsyncSession, *, topic: str, key: str) -> None:
    """Stage a tombstone so that a compacted topic forgets every record of ``key``."""
    add_tombstone(session, OutboxRecord, topic=topic, key=key)
    session.info["outbox_written"] = True
