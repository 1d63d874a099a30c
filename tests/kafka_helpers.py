"""Reading what services published, straight from the broker.

Readers assign themselves every partition instead of joining a consumer group: no group
coordination to wait for, and nothing committed that could disturb the services' groups.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from candor_shared.contract import CloudEvent, EventData, from_kafka


async def read_raw(
    bootstrap: str, topic: str, *, count: int | None, timeout: float = 15.0
) -> list[Any]:
    """Read records of ``topic`` from the start until ``count`` arrived or ``timeout`` passed.

    ``count=None`` reads everything the topic holds when reading begins: up to the end
    offsets of its partitions at that moment, however long fetching takes on a busy
    machine (``timeout`` is then only a ceiling against a broker that never answers). Use
    it to count what was published once the publisher is known to be done; a short
    timeout with a large count was a guess that lost records under load.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, metadata_max_age_ms=500
    )
    await consumer.start()
    records: list[Any] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (max(timeout, 30.0) if count is None else timeout)
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
        ends = await consumer.end_offsets(assigned) if count is None else {}

        async def done() -> bool:
            if count is not None:
                return len(records) >= count
            for partition in assigned:
                if await consumer.position(partition) < ends[partition]:
                    return False
            return True

        while not await done() and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=100)
            for part in batch.values():
                records.extend(part)
        if count is None and not await done():
            raise AssertionError(f"{topic}: could not read up to its end offsets {ends}")
    finally:
        await consumer.stop()
    return records


async def read_events(
    bootstrap: str, topic: str, *, count: int | None, timeout: float = 15.0
) -> list[CloudEvent[EventData]]:
    """The CloudEvents of ``topic`` (tombstones left out), ordered by time within each key."""
    records = await read_raw(bootstrap, topic, count=count, timeout=timeout)
    return [
        from_kafka(record.key, record.value, record.headers)
        for record in records
        if record.value is not None
    ]
