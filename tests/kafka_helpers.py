"""Reading what services published, straight from the broker."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer

from candor_shared.contract import CloudEvent, EventData, from_kafka


async def read_events(
    bootstrap: str, topic: str, *, count: int, timeout: float = 15.0
) -> list[CloudEvent[EventData]]:
    """Read ``topic`` from the start until ``count`` events arrived (or the timeout passed)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    events: list[CloudEvent[EventData]] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(events) < count and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    if record.value is not None:
                        events.append(from_kafka(record.key, record.value, record.headers))
    finally:
        await consumer.stop()
    return events


async def read_raw(
    bootstrap: str, topic: str, *, count: int, timeout: float = 15.0
) -> list[Any]:
    """Read raw records of ``topic`` from the start."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < count and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()
    return records
