"""incident-api's consumer of what the workers publish (the SLA and delivery topics), into its
read models.

One consumer group for all of it, with the inbox of :mod:`.models`: a domain that keeps
something of the workers' events adds its handlers here.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_incident_api.deliveries import events as delivery_events
from candor_incident_api.models import InboxRecord
from candor_incident_api.perception import events as perception_events
from candor_incident_api.reports import events as report_events
from candor_incident_api.settings import ApiSettings
from candor_shared.contract import Topics
from candor_shared.kafka import ConsumerLoop

CONSUMER_GROUP = "candor-incident-api"


def consumer_group(settings: ApiSettings) -> str:
    """The group's name, prefixed like the topics so installations never share it."""
    return f"{settings.kafka_topic_prefix}{CONSUMER_GROUP}"


def create_consumer(
    settings: ApiSettings, sessions: async_sessionmaker[AsyncSession]
) -> ConsumerLoop:
    """The consumer of the SLA and delivery topics (events without a handler are skipped)."""
    topics = Topics(settings.kafka_topic_prefix)
    return ConsumerLoop(
        name=consumer_group(settings),
        topics=[topics.sla, topics.delivery],
        settings=settings,
        sessions=sessions,
        inbox=InboxRecord,
        handlers={
            **report_events.handlers(),
            **perception_events.handlers(),
            **delivery_events.handlers(),
        },
    )
