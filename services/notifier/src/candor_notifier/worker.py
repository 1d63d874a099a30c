"""The notifier process: one consumer of the catalog and incident topics, and the sender."""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from candor_notifier.catalog.events import handlers as catalog_handlers
from candor_notifier.deliveries.sender import DeliverySender
from candor_notifier.incidents.events import handlers as incident_handlers
from candor_notifier.models import InboxRecord
from candor_notifier.settings import NotifierSettings
from candor_shared.contract import CloudEvent, EventData, Topics
from candor_shared.kafka import ConsumerLoop
from candor_shared.worker import Worker, WorkerParts

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_notifier"
CONSUMER_GROUP = "candor-notifier"


def consumer_group(settings: NotifierSettings) -> str:
    """The consumer group, prefixed like the topics so installations sharing a cluster differ."""
    return f"{settings.kafka_topic_prefix}{CONSUMER_GROUP}"


def message_domain(settings: NotifierSettings) -> str:
    """The right-hand side of Message-IDs: the domain of the From address."""
    address = parseaddr(settings.smtp_from)[1]
    return address.rpartition("@")[2] or "candor.invalid"


def create_worker(settings: NotifierSettings, *, serve_http: bool = True) -> Worker:
    """The notifier worker: catalog and incident events in, emails out.

    One consumer reads both topics, so that a subscriber created just before an alert is
    usually known when the incident arrives; a subscriber seen later still gets the notice
    of an incident that is still open. The sender is woken after every committed event.
    """

    def build(_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> WorkerParts:
        sender = DeliverySender(settings=settings, sessions=sessions)
        topics = Topics(settings.kafka_topic_prefix)
        domain = message_domain(settings)

        def wake_sender(_event: CloudEvent[EventData]) -> None:
            sender.wake()

        consumer = ConsumerLoop(
            name=consumer_group(settings),
            topics=[topics.catalog, topics.incident],
            settings=settings,
            sessions=sessions,
            inbox=InboxRecord,
            handlers={
                **catalog_handlers(message_domain=domain),
                **incident_handlers(message_domain=domain),
            },
            after_commit=wake_sender,
        )
        return WorkerParts(consumers=[consumer], tasks=[sender.run], on_stop=[sender.stop])

    return Worker(
        service="notifier",
        settings=settings,
        migrations=MIGRATIONS,
        version_table=VERSION_TABLE,
        host=settings.notifier_host,
        port=settings.notifier_port,
        build=build,
        serve_http=serve_http,
    )
