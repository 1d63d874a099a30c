"""Topic creation at start, so that consumers never wait for auto-creation."""

from __future__ import annotations

import contextlib

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from candor_shared.kafka.client import client_options
from candor_shared.settings import CandorSettings

log = structlog.get_logger(__name__)


async def ensure_topics(settings: CandorSettings, names: list[str], *, partitions: int) -> None:
    """Create the topics of ``names`` that do not exist yet, with ``partitions`` partitions."""
    admin = AIOKafkaAdminClient(client_id="candor-admin", **client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [name for name in dict.fromkeys(names) if name not in existing]
        if not wanted:
            return
        replication = settings.kafka_replication_factor
        for name in wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(name, num_partitions=partitions, replication_factor=replication)]
                )
        log.info("kafka.topics_created", topics=wanted, partitions=partitions)
    finally:
        await admin.close()
