"""The consumer loop: at least once in, exactly once in effect.

For each record: parse the CloudEvent, open one database transaction, skip the event if the
inbox already holds its id, otherwise run the handler and record the id, then commit. The
offset is committed only after that. A handler that keeps failing is retried a bounded
number of times, then the record goes to ``<topic>.dlt`` with the original bytes and the
error, and the partition moves on. A database or broker that is away is waited for, not
counted as a failure: such records are never dead-lettered for an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from prometheus_client import Counter
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.contract.envelope import (
    CloudEvent,
    EventData,
    UnknownEventTypeError,
    from_kafka,
)
from candor_shared.contract.topics import Topics
from candor_shared.db import transaction
from candor_shared.failpoints import failpoint
from candor_shared.kafka.admin import ensure_topics
from candor_shared.kafka.client import client_options, new_producer
from candor_shared.kafka.inbox import (
    InboxMixin,
    already_handled,
    handled_among,
    record_handled,
    record_handled_many,
)
from candor_shared.settings import CandorSettings

log = structlog.get_logger(__name__)

HANDLED = Counter("candor_events_handled_total", "Events handled", ["consumer", "type"])
DUPLICATES = Counter("candor_events_duplicate_total", "Events skipped as seen", ["consumer"])
FAILURES = Counter("candor_event_failures_total", "Handler failures", ["consumer", "type"])
DEAD_LETTERED = Counter("candor_events_dead_lettered_total", "Records sent to a DLT", ["consumer"])


class Handler(Protocol):
    """Handles one event inside the consumer's transaction; must not commit."""

    def __call__(
        self, *, session: AsyncSession, event: CloudEvent[EventData]
    ) -> Awaitable[None]: ...


class _Stopping(Exception):
    pass


_Work = tuple[ConsumerRecord, CloudEvent[EventData], Handler]

#: Events handled in one transaction when records arrive in a burst.
CHUNK_SIZE = 100


# PostgreSQL conditions that pass with time: connection exceptions (08), insufficient
# resources (53), operator intervention such as a restart (57P), serialization failures and
# deadlocks (40001, 40P01), lock timeouts (55P03).
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "57P", "40001", "40P01", "55P03")


def is_transient(error: BaseException) -> bool:
    """True for failures of the infrastructure (database, network), not of the message."""
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        sqlstate = str(getattr(error.orig, "sqlstate", "") or "")
        if sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES):
            return True
    return isinstance(
        error,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.TimeoutError
        | ConnectionError
        | TimeoutError
        | socket.gaierror
        | KafkaError,
    )


class _Assignments(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: ConsumerLoop) -> None:
        self._loop = loop

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self._loop.assigned -= set(revoked)

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        self._loop.assigned |= set(assigned)
        self._loop.joined.set()
        log.info("consumer.assigned", consumer=self._loop.name, partitions=len(self._loop.assigned))


class ConsumerLoop:
    """Runs handlers for the events of ``topics`` as consumer group ``name``."""

    def __init__(
        self,
        *,
        name: str,
        topics: list[str],
        settings: CandorSettings,
        sessions: async_sessionmaker[AsyncSession],
        inbox: type[InboxMixin],
        handlers: dict[str, Handler],
        after_commit: Callable[[CloudEvent[EventData]], None] | None = None,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        self.name = name
        self.topics = topics
        self._settings = settings
        self._sessions = sessions
        self._inbox = inbox
        self._handlers = handlers
        self._after_commit = after_commit
        self._max_attempts = settings.consumer_max_attempts
        self._max_backoff = max_backoff_seconds
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: Any = None
        self.assigned: set[TopicPartition] = set()
        self.joined = asyncio.Event()

    def stop(self) -> None:
        """Finish the record in hand, commit, leave the group and return from :meth:`run`."""
        self._stopping.set()

    @property
    def connected(self) -> bool:
        """True while the consumer is started and has joined its group."""
        return self._consumer is not None and self.joined.is_set()

    async def run(self) -> None:
        """Consume until :meth:`stop` is called or the task is cancelled."""
        backoff = 0.1
        try:
            while not self._stopping.is_set():
                try:
                    consumer = await self._ensure_started()
                    batch = await consumer.getmany(timeout_ms=500, max_records=500)
                    await self._process_batch(consumer, batch)
                    backoff = 0.1
                except _Stopping:
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("consumer.failed", consumer=self.name, error=repr(exc))
                    await self._close()
                    with contextlib.suppress(_Stopping):
                        await self._pause(backoff)
                    backoff = min(backoff * 2, self._max_backoff)
        finally:
            await self._close()

    async def _process_batch(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        offsets: dict[TopicPartition, int] = {}
        try:
            for partition, records in batch.items():
                work = [item for record in records if (item := await self._prepare(record))]
                for start in range(0, len(work), CHUNK_SIZE):
                    if self._stopping.is_set():
                        raise _Stopping
                    chunk = work[start : start + CHUNK_SIZE]
                    if await self._handle_together(chunk):
                        continue
                    for record, event, handler in chunk:
                        if self._stopping.is_set():
                            raise _Stopping
                        with structlog.contextvars.bound_contextvars(
                            event_id=event.id, key=event.partitionkey
                        ):
                            await self._handle(record, event, handler)
                offsets[partition] = records[-1].offset + 1
        finally:
            if offsets:
                await self._commit(consumer, offsets)

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        owned = {tp: offset for tp, offset in offsets.items() if tp in consumer.assignment()}
        if not owned:
            return
        try:
            await consumer.commit(owned)
        except KafkaError as exc:
            # The partitions moved to another member mid-batch; it will read the records
            # again from the last commit and the inbox will skip what was handled here.
            log.warning("consumer.commit_failed", consumer=self.name, error=repr(exc))

    async def _prepare(self, record: ConsumerRecord) -> _Work | None:
        """The parsed event and its handler, or None for a record this consumer skips."""
        if record.value is None:
            # A tombstone: it only tells a compacted topic to forget the key.
            return None
        event_type = next(
            (value for name, value in record.headers or () if name == "ce_type"), None
        )
        if event_type is not None and event_type.decode("utf-8", "replace") not in self._handlers:
            return None
        try:
            event = from_kafka(record.key, record.value, record.headers)
        except UnknownEventTypeError:
            log.debug("consumer.unknown_type_skipped", consumer=self.name, offset=record.offset)
            return None
        except ValueError as exc:
            await self._dead_letter(record, exc)
            return None
        handler = self._handlers.get(event.type)
        return None if handler is None else (record, event, handler)

    async def _handle_together(self, chunk: list[_Work]) -> bool:
        """Handle several events in one transaction; False (nothing kept) if any failed.

        Under load this saves a commit and two round trips per event; a failure sends the
        chunk back to one transaction per event, with retries and the dead-letter topic.
        """
        if len(chunk) < 2:
            return False
        handled: list[CloudEvent[EventData]] = []
        try:
            async with transaction(self._sessions) as session:
                seen = await handled_among(
                    session,
                    self._inbox,
                    consumer=self.name,
                    event_ids=[event.id for _, event, _ in chunk],
                )
                for _, event, handler in chunk:
                    if event.id in seen:
                        DUPLICATES.labels(self.name).inc()
                        continue
                    seen.add(event.id)
                    with structlog.contextvars.bound_contextvars(
                        event_id=event.id, key=event.partitionkey
                    ):
                        await handler(session=session, event=event)
                    handled.append(event)
                # One statement for the chunk's inbox rows, after the handlers: rows added to
                # the session instead would be flushed before every handler's first query.
                await record_handled_many(session, self._inbox, consumer=self.name, events=handled)
                failpoint("consumer.before_commit")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info("consumer.chunk_fallback", consumer=self.name, error=repr(exc))
            return False
        for event in handled:
            HANDLED.labels(self.name, event.type).inc()
            if self._after_commit is not None:
                self._after_commit(event)
        return True

    async def _handle(
        self, record: ConsumerRecord, event: CloudEvent[EventData], handler: Handler
    ) -> None:
        failures = 0
        backoff = 0.05
        while True:
            try:
                async with transaction(self._sessions) as session:
                    if await already_handled(
                        session, self._inbox, consumer=self.name, event_id=event.id
                    ):
                        DUPLICATES.labels(self.name).inc()
                        return
                    await handler(session=session, event=event)
                    record_handled(
                        session,
                        self._inbox,
                        consumer=self.name,
                        event_id=event.id,
                        event_type=event.type,
                    )
                    failpoint("consumer.before_commit")
                HANDLED.labels(self.name, event.type).inc()
                if self._after_commit is not None:
                    self._after_commit(event)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_transient(exc):
                    log.warning("consumer.waiting_for_infrastructure", error=repr(exc))
                else:
                    failures += 1
                    FAILURES.labels(self.name, event.type).inc()
                    log.warning(
                        "consumer.handler_failed",
                        type=event.type,
                        attempt=failures,
                        error=repr(exc),
                    )
                    if failures >= self._max_attempts:
                        await self._dead_letter(record, exc)
                        return
                await self._pause(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def _dead_letter(self, record: ConsumerRecord, error: BaseException) -> None:
        """Park ``record`` on ``<topic>.dlt`` with its original bytes and the error."""
        headers = list(record.headers or ())
        headers += [
            ("candor_dlt_error", f"{type(error).__name__}: {error}"[:2000].encode()),
            ("candor_dlt_topic", record.topic.encode()),
            ("candor_dlt_partition", str(record.partition).encode()),
            ("candor_dlt_offset", str(record.offset).encode()),
            ("candor_dlt_consumer", self.name.encode()),
        ]
        backoff = 0.1
        while True:
            try:
                if self._producer is None:
                    producer = new_producer(self._settings, client_id=f"{self.name}-dlt")
                    await producer.start()
                    self._producer = producer
                await self._producer.send_and_wait(
                    Topics.dead_letter(record.topic),
                    value=record.value,
                    key=record.key,
                    headers=headers,
                )
                DEAD_LETTERED.labels(self.name).inc()
                log.error(
                    "consumer.dead_lettered",
                    consumer=self.name,
                    topic=record.topic,
                    offset=record.offset,
                    error=str(error),
                )
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer.dead_letter_failed", error=repr(exc))
                if self._producer is not None:
                    with contextlib.suppress(Exception):
                        await self._producer.stop()
                    self._producer = None
                await self._pause(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def _ensure_started(self) -> AIOKafkaConsumer:
        if self._consumer is not None:
            return self._consumer
        await ensure_topics(
            self._settings,
            [*self.topics, *(Topics.dead_letter(topic) for topic in self.topics)],
            partitions=self._settings.kafka_partitions,
        )
        consumer = AIOKafkaConsumer(
            group_id=self.name,
            client_id=self.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self._settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=max(self._settings.kafka_session_timeout_ms // 10, 100),
            fetch_max_wait_ms=self._settings.kafka_fetch_max_wait_ms,
            metadata_max_age_ms=30_000,
            **client_options(self._settings),
        )
        consumer.subscribe(self.topics, listener=_Assignments(self))
        try:
            await consumer.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await consumer.stop()
            raise
        self._consumer = consumer
        log.info("consumer.started", consumer=self.name, topics=self.topics)
        return consumer

    async def _close(self) -> None:
        consumer, self._consumer = self._consumer, None
        self.assigned.clear()
        self.joined.clear()
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up and raise ``_Stopping`` as soon as :meth:`stop` is called."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        if self._stopping.is_set():
            raise _Stopping
