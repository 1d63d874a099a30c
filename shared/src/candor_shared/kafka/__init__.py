"""The Kafka runtime: the transactional outbox with its relay, and the inbox consumer loop."""

from candor_shared.kafka.client import client_options, new_producer
from candor_shared.kafka.consumer import ConsumerLoop, Handler
from candor_shared.kafka.inbox import InboxMixin
from candor_shared.kafka.outbox import (
    OutboxMixin,
    OutboxRelay,
    add_event,
    add_tombstone,
    insert_events,
    outbox_row,
)

__all__ = [
    "ConsumerLoop",
    "Handler",
    "InboxMixin",
    "OutboxMixin",
    "OutboxRelay",
    "add_event",
    "add_tombstone",
    "client_options",
    "insert_events",
    "new_producer",
    "outbox_row",
]
