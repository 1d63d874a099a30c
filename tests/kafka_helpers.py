"""Reading what services published, straight from the broker.

Readers assign themselves every partition instead of joining a consumer group: no group
coordination to wait for, and nothing committed that could disturb the services' groups.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from candor_shared.contract import CloudEvent, EventData, from_kafka


async def read_raw(bootstrap: str, topic: str, *, count: int, timeout: float = 15.0) -> list[Any]:
    """Read records of ``topic`` from the start until ``count`` arrived or ``timeout`` passed."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, metadata_max_age_ms=500
    )
    await consumer.start()
    records: list[Any] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        partitions: set[int] | None = None
        while partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                if loop.time() > deadline:
                    return []
                await asyncio.sleep(0.1)
        assigned = [TopicPartition(topic, partition) for partition in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        while len(records) < count and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=100)
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()
    return records


async def read_events(
    bootstrap: str, topic: str, *, count: int, timeout: float = 15.0
) -> list[CloudEvent[EventData]]:
    """The CloudEvents of ``topic`` (tombstones left out), ordered by time within each key."""
    records = await read_raw(bootstrap, topic, count=count, timeout=timeout)
    return [
        from_kafka(record.key, record.value, record.headers)
        for record in records
        if record.value is not None
    ]
