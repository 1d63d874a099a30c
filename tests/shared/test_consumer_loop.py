"""The consumer loop on the real broker and database: each event handled once, a poison
event parked on the dead-letter topic with its error, the rest of a burst unharmed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import (
    CloudEvent,
    EventData,
    ServiceUpserted,
    Topics,
    new_event,
    to_kafka,
)
from candor_shared.db import create_engine, session_factory
from candor_shared.kafka import ConsumerLoop
from candor_shared.runtime import migrate
from candor_sla_monitor.models import InboxRecord
from candor_sla_monitor.settings import SlaSettings
from candor_sla_monitor.worker import MIGRATIONS, VERSION_TABLE
from tests.conftest import eventually
from tests.kafka_helpers import read_raw


def service_event(slug: str) -> CloudEvent[Any]:
    return new_event(
        ServiceUpserted(id=slug, slug=slug, name=slug.title()), source="/tests", key=slug
    )


@pytest.fixture
async def loop_parts(make_settings: Callable[..., Any]) -> AsyncIterator[dict[str, Any]]:
    """A database with an inbox table (sla-monitor's, from its migrations) and settings."""
    settings = make_settings(SlaSettings, "consumer-loop", consumer_max_attempts=2)
    await migrate(settings, script_location=MIGRATIONS, version_table=VERSION_TABLE)
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        yield {"settings": settings, "sessions": session_factory(engine)}
    finally:
        await engine.dispose()


async def produce(broker: str, topic: str, records: list[tuple[bytes, bytes | None, Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def test_burst_with_a_poison_event_and_a_duplicate(
    loop_parts: dict[str, Any], broker: str, topic_prefix: str
) -> None:
    settings, sessions = loop_parts["settings"], loop_parts["sessions"]
    topic = Topics(topic_prefix).catalog
    committed: list[str] = []

    async def handler(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        assert isinstance(event.data, ServiceUpserted)
        if event.data.slug == "poison":
            raise ValueError("this service cannot be handled")

    def after_commit(event: CloudEvent[EventData]) -> None:
        assert isinstance(event.data, ServiceUpserted)
        committed.append(event.data.slug)

    events = [service_event(f"s{n}") for n in range(30)]
    events.insert(12, service_event("poison"))
    records = [to_kafka(event) for event in events]
    records.append(to_kafka(events[3]))  # the same event delivered again
    records.append((b"k", b"{}", [("ce_type", b"candor.service.upserted.v1")]))  # no id
    # One key for all, so that they share a partition and arrive as one burst.
    records = [(b"burst", value, headers) for _, value, headers in records]
    await produce(broker, topic, records)

    loop = ConsumerLoop(
        name=f"{topic_prefix}test-loop",
        topics=[topic],
        settings=settings,
        sessions=sessions,
        inbox=InboxRecord,
        handlers={ServiceUpserted.event_type: handler},
        after_commit=after_commit,
    )
    task = asyncio.create_task(loop.run())
    try:
        await eventually(lambda: len(committed) >= 30, timeout=30)
        dead = await read_raw(broker, Topics.dead_letter(topic), count=2)
    finally:
        loop.stop()
        await asyncio.wait_for(task, timeout=30)

    # Each committed exactly once, the duplicate skipped, the poison not at all.
    assert sorted(committed) == sorted(f"s{n}" for n in range(30))
    assert len(dead) == 2
    errors = [dict(record.headers)["candor_dlt_error"].decode() for record in dead]
    assert any("this service cannot be handled" in error for error in errors)
    assert any("missing headers ce_id" in error for error in errors)
    poison = next(r for r in dead if b"poison" in (r.value or b""))
    assert poison.value == records[12][1]  # the original bytes
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboxRecord)) == 30
