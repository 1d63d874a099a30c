"""Helpers shared by notifier tests: events on the broker, the ledger, the mail that arrived."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from candor_dev.ports import free_port
from candor_notifier.deliveries.models import Delivery
from candor_notifier.models import InboxRecord
from candor_notifier.worker import consumer_group
from candor_shared.contract import (
    CloudEvent,
    EventData,
    IncidentOpened,
    IncidentResolved,
    IncidentSnapshot,
    ServiceRef,
    SubscriberUpserted,
    Topics,
    from_kafka,
    new_event,
    to_kafka,
)
from tests.processes import ServiceProcess, process_env

SOURCE = "/tests/notifier"
EMAIL_SERVICE = ServiceRef(id=str(uuid.UUID(int=1)), slug="email", name="Email")


def snapshot(
    *,
    incident_id: str | None = None,
    version: int = 1,
    status: str = "investigating",
    title: str = "Outgoing mail is not being delivered",
    service: ServiceRef = EMAIL_SERVICE,
    started_at: str = "2025-11-24T09:58:00+00:00",
    resolved_at: str | None = None,
) -> IncidentSnapshot:
    """An incident as events carry it."""
    return IncidentSnapshot.model_validate(
        {
            "id": incident_id or str(uuid.uuid4()),
            "version": version,
            "service": service,
            "status": status,
            "impact": "major",
            "title": title,
            "started_at": started_at,
            "opened_at": started_at,
            "resolved_at": resolved_at,
            "firing_alerts": 0 if resolved_at else 1,
        }
    )


def opened(incident: IncidentSnapshot) -> CloudEvent[Any]:
    """A fresh IncidentOpened event about ``incident``."""
    return new_event(IncidentOpened(incident=incident), source=SOURCE, key=incident.id)


def resolved(incident: IncidentSnapshot) -> CloudEvent[Any]:
    """A fresh IncidentResolved event about ``incident``."""
    return new_event(IncidentResolved(incident=incident), source=SOURCE, key=incident.id)


def subscriber(
    email: str, services: list[str], *, timezone: str = "UTC", subscriber_id: str | None = None
) -> CloudEvent[Any]:
    """A SubscriberUpserted event."""
    data = SubscriberUpserted(
        id=subscriber_id or str(uuid.uuid4()), email=email, services=services, timezone=timezone
    )
    return new_event(data, source=SOURCE, key=data.id)


async def publish(settings: Any, *events: CloudEvent[EventData]) -> None:
    """Write each event to its topic as a real CloudEvents record, in order."""
    topics = Topics(settings.kafka_topic_prefix)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            key, value, headers = to_kafka(event)
            await producer.send_and_wait(
                topics.resolve(event.data.topic), value=value, key=key, headers=headers
            )
    finally:
        await producer.stop()


async def delivery_topic(settings: Any) -> list[CloudEvent[Any]]:
    """Every event on the test's delivery topic so far, read up to its end (none before the
    topic exists: unlike :func:`tests.kafka_helpers.read_raw`, it does not wait for it)."""
    topic = Topics(settings.kafka_topic_prefix).delivery
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        metadata_max_age_ms=500,
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, partition) for partition in sorted(partitions)]
        if not assigned:
            return []
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        records: list[Any] = []
        while [tp for tp in assigned if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()
    return [from_kafka(record.key, record.value, record.headers) for record in records]


async def deliveries(sessions: Any) -> list[Delivery]:
    """Every row of the delivery ledger, oldest first."""
    async with sessions() as session:
        rows = await session.scalars(select(Delivery).order_by(Delivery.created_at, Delivery.id))
        return list(rows)


async def handled_events(sessions: Any) -> int:
    """How many events the notifier's inbox holds."""
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxRecord)) or 0)


def duplicates_skipped(settings: Any) -> float:
    """How many records the notifier's consumer skipped as already handled."""
    value = REGISTRY.get_sample_value(
        "candor_events_duplicate_total", {"consumer": consumer_group(settings)}
    )
    return value or 0.0


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML parts of a multipart/alternative message."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


async def subscribe(
    operator: httpx.AsyncClient, email: str, services: list[str], timezone: str = "UTC"
) -> str:
    """Subscribe ``email`` through incident-api; return the subscriber id."""
    response = await operator.post(
        "/v1/subscribers", json={"email": email, "services": services, "timezone": timezone}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def notifier_process(settings: Any, log: Path, **overrides: Any) -> ServiceProcess:
    """``python -m candor_notifier run`` with these settings and ``overrides``, on a port of
    its own, its output appended to ``log``."""
    env = process_env(settings, **{"notifier_port": free_port(), **overrides})
    return ServiceProcess("candor_notifier", env, log)
