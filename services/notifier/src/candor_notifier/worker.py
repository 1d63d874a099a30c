"""The notifier process: one consumer of the catalog, incident and SLA topics, the sender,
and the relay of its delivery facts."""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from candor_notifier.catalog.events import handlers as catalog_handlers
from candor_notifier.confirmations import handlers as confirmation_handlers
from candor_notifier.deliveries.events import handlers as delivery_handlers
from candor_notifier.deliveries.sender import DeliverySender
from candor_notifier.incidents.events import handlers as incident_handlers
from candor_notifier.maintenance.events import handlers as maintenance_handlers
from candor_notifier.maintenance.reminders import MaintenanceReminders
from candor_notifier.models import InboxRecord, OutboxRecord
from candor_notifier.reports.events import handlers as report_handlers
from candor_notifier.settings import NotifierSettings
from candor_notifier.sla.events import handlers as sla_handlers
from candor_shared.clock import Clock, utcnow
from candor_shared.contract import CloudEvent, EventData, Topics
from candor_shared.kafka import ConsumerLoop, OutboxRelay, new_producer
from candor_shared.kafka.admin import ensure_topics
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


def create_worker(
    settings: NotifierSettings, *, serve_http: bool = True, clock: Clock = utcnow
) -> Worker:
    """The notifier worker: catalog, incident and SLA events in, notices out, delivery facts
    back.

    One consumer reads the three topics, so that a subscriber created just before an alert is
    usually known when the incident arrives; a subscriber seen later still gets the notice
    of an incident that is still open. The sender is woken after every committed event.
    ``clock`` tells the handlers and the sender the time (tests hold it still).
    """

    def build(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> WorkerParts:
        sender = DeliverySender(settings=settings, sessions=sessions, clock=clock)
        topics = Topics(settings.kafka_topic_prefix)
        domain = message_domain(settings)

        def wake_sender(_event: CloudEvent[EventData]) -> None:
            sender.wake()

        consumer = ConsumerLoop(
            name=consumer_group(settings),
            # The SLA topic brings update_due (holding updates); its other events are skipped.
            topics=[topics.catalog, topics.incident, topics.sla, topics.maintenance],
            settings=settings,
            sessions=sessions,
            inbox=InboxRecord,
            handlers={
                **catalog_handlers(message_domain=domain),
                **delivery_handlers(),
                **confirmation_handlers(settings=settings, domain=domain, clock=clock),
                **incident_handlers(
                    message_domain=domain, clock=clock, min_interval=settings.notify_min_interval
                ),
                **sla_handlers(message_domain=domain, clock=clock),
                **report_handlers(message_domain=domain, clock=clock),
                **maintenance_handlers(
                    message_domain=domain,
                    reminder_lead=settings.maintenance_reminder_lead,
                    clock=clock,
                ),
            },
            after_commit=wake_sender,
        )
        # Delivery facts leave through the notifier's own outbox, written in the transaction
        # that recorded the delivery.
        relay = OutboxRelay(
            engine=engine,
            sessions=sessions,
            model=OutboxRecord,
            producer_factory=lambda: new_producer(settings, client_id="notifier"),
            topics=topics,
            lock_name=f"candor-outbox-{settings.database_schema}",
            poll_seconds=settings.outbox_poll_seconds,
            batch_size=settings.outbox_batch_size,
            prepare=lambda: ensure_topics(
                settings, [topics.delivery], partitions=settings.kafka_partitions
            ),
        )
        # Maintenance reminders are rows with a due time, found by polling (survive restarts).
        reminders = MaintenanceReminders(
            sessions=sessions,
            message_domain=domain,
            poll_seconds=settings.maintenance_reminder_poll_seconds,
            on_planned=sender.wake,
            clock=clock,
        )
        return WorkerParts(
            consumers=[consumer],
            tasks=[sender.run, relay.run, reminders.run],
            on_stop=[sender.stop],
        )

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
