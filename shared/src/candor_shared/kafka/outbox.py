"""The transactional outbox and its relay.

A service writes an event as a row of its ``outbox`` table in the same transaction as the
change it reports (:func:`add_event`). The relay publishes rows in id order, deletes a row
only after the broker acknowledged it, and rides out broker outages by backing off and
trying again: nothing committed is lost, and nothing calls Kafka inside a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from prometheus_client import Counter, Gauge
from sqlalchemy import (
    JSON,
    BigInteger,
    Integer,
    LargeBinary,
    String,
    Table,
    bindparam,
    delete,
    insert,
    select,
    text,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from candor_shared.clock import utcnow
from candor_shared.contract.envelope import CloudEvent, to_kafka
from candor_shared.contract.topics import Topics
from candor_shared.db import UTCDateTime
from candor_shared.failpoints import failpoint

log = structlog.get_logger(__name__)

PUBLISHED = Counter("candor_outbox_published_total", "Outbox rows acknowledged by the broker")
PUBLISH_FAILURES = Counter("candor_outbox_publish_failures_total", "Failed outbox sends")
PENDING = Gauge("candor_outbox_pending", "Outbox rows read but not yet acknowledged")
UNPUBLISHABLE = Counter(
    "candor_outbox_unpublishable_total",
    "Outbox rows dropped because the broker can never take them",
)


async def _skipped() -> None:
    return None


class OutboxMixin:
    """Columns of a service's ``outbox`` table; mix into the service's declarative base."""

    __tablename__ = "outbox"

    if TYPE_CHECKING:
        # The declarative base provides this constructor at run time.
        def __init__(self, **values: Any) -> None: ...

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str | None] = mapped_column(String(64))
    event_type: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[list[list[str]]] = mapped_column(JSON)
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def outbox_row(event: CloudEvent[Any]) -> dict[str, Any]:
    """The column values of ``event``'s outbox row (its logical topic name)."""
    key, value, headers = to_kafka(event)
    return {
        "topic": event.data.topic,
        "key": key.decode(),
        "event_id": event.id,
        "event_type": event.type,
        "headers": [[name, raw.decode()] for name, raw in headers],
        "value": value,
        "created_at": utcnow(),
    }


def add_event(session: AsyncSession, model: type[OutboxMixin], event: CloudEvent[Any]) -> None:
    """Stage ``event`` for publication in the session's transaction (logical topic name)."""
    session.add(model(**outbox_row(event)))


async def insert_events(
    session: AsyncSession, model: type[OutboxMixin], events: list[CloudEvent[Any]]
) -> None:
    """Write many events' outbox rows with one statement, in the order given."""
    if events:
        # Core on the table (the row keys are the column names): cheaper than the ORM's bulk
        # path on the ingest path, same statement.
        table = sa_inspect(model).local_table
        assert isinstance(table, Table)
        await session.execute(insert(table), [outbox_row(event) for event in events])


def add_tombstone(session: AsyncSession, model: type[OutboxMixin], *, topic: str, key: str) -> None:
    """Stage a tombstone (null value) so that a compacted topic drops every record of ``key``."""
    session.add(
        model(
            topic=topic,
            key=key,
            event_id=None,
            event_type=None,
            headers=[],
            value=None,
            created_at=utcnow(),
        )
    )


class OutboxRelay:
    """Publishes a service's outbox to Kafka, in order, at least once.

    On PostgreSQL an advisory lock makes one replica the publisher, so rows of one key are
    never sent by two processes at once; the others wait as standbys.
    """

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        model: type[OutboxMixin],
        producer_factory: Callable[[], AIOKafkaProducer],
        topics: Topics,
        lock_name: str,
        poll_seconds: float = 1.0,
        batch_size: int = 500,
        max_backoff_seconds: float = 5.0,
        prepare: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._engine = engine
        self._prepare = prepare
        self._sessions = sessions
        self._model = model
        self._producer_factory = producer_factory
        self._topics = topics
        self._lock_key = zlib.crc32(lock_name.encode()) & 0x7FFFFFFF
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._max_backoff = max_backoff_seconds
        self._wakeup = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._lock_connection: AsyncConnection | None = None
        # Core statements on the table, built once (the relay runs dozens of times a second
        # under load; the ORM's bulk delete and a fresh statement each time cost more).
        table = sa_inspect(model).local_table
        assert isinstance(table, Table)
        self._pending = (
            select(table.c.id, table.c.topic, table.c.key, table.c.headers, table.c.value)
            .order_by(table.c.id)
            .limit(batch_size)
        )
        self._sent = delete(table).where(table.c.id.in_(bindparam("ids", expanding=True)))
        self._lock_checked = 0.0
        self.connected = False

    def wake(self) -> None:
        """Ask the relay to look at the outbox now rather than at its next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        """Publish until cancelled, backing off while the broker or the database is away."""
        backoff = 0.1
        try:
            while True:
                try:
                    if not await self._hold_leadership():
                        await self._sleep(self._poll_seconds)
                        continue
                    producer = await self._ensure_producer()
                    published = await self.publish_pending(producer)
                    backoff = 0.1
                    if published < self._batch_size:
                        await self._sleep(self._poll_seconds)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    PUBLISH_FAILURES.inc()
                    self.connected = False
                    log.warning("outbox.relay_failed", error=str(exc), retry_in=backoff)
                    await self._drop_producer()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._max_backoff)
        finally:
            await self._drop_producer()
            await self._release_leadership()

    async def publish_pending(self, producer: AIOKafkaProducer) -> int:
        """Send one batch of rows in id order; delete those acknowledged. Returns how many."""
        async with self._sessions() as session:
            rows = (await session.execute(self._pending)).all()
        if not rows:
            return 0
        # Fault tests kill the process here (rows committed, nothing sent) and after the
        # broker acknowledged but before the rows are deleted (the at-least-once window).
        failpoint("outbox.before_publish")
        PENDING.set(len(rows))
        sends: list[Any] = []
        unpublishable: list[int] = []
        for row in rows:
            try:
                sends.append(
                    await producer.send(
                        self._topics.resolve(row.topic),
                        value=row.value,
                        key=row.key.encode(),
                        headers=[(name, value.encode()) for name, value in row.headers],
                    )
                )
            except MessageSizeTooLargeError as exc:
                # No retry can ever send it, and keeping it would stop the whole outbox:
                # record it loudly and let the rest through.
                UNPUBLISHABLE.inc()
                log.error("outbox.unpublishable", row_id=row.id, key=row.key, error=str(exc))
                unpublishable.append(row.id)
                sends.append(_skipped())
        results = await asyncio.gather(*sends, return_exceptions=True)
        failpoint("outbox.before_delete")
        acknowledged: list[int] = list(unpublishable)
        failed_keys: set[str] = set()
        first_error: BaseException | None = None
        for row, result in zip(rows, results, strict=True):
            if row.id in unpublishable:
                continue
            if isinstance(result, BaseException) or row.key in failed_keys:
                # A later row of a key whose earlier row failed stays too, to be sent again
                # after it: consumers then see the key's events in order once more.
                failed_keys.add(row.key)
                first_error = first_error or (result if isinstance(result, BaseException) else None)
                continue
            acknowledged.append(row.id)
        if acknowledged:
            async with self._sessions() as session, session.begin():
                await session.execute(self._sent, {"ids": acknowledged})
        PUBLISHED.inc(len(acknowledged))
        PENDING.set(0)
        self.connected = True
        if first_error is not None:
            raise first_error
        return len(acknowledged)

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            if self._prepare is not None:
                await self._prepare()
            producer = self._producer_factory()
            try:
                await producer.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            self._producer = producer
            self.connected = True
            log.info("outbox.producer_started")
        return self._producer

    async def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def _hold_leadership(self) -> bool:
        if self._engine.dialect.name != "postgresql":
            return True
        if self._lock_connection is not None:
            # The lock lives as long as its connection: look at the connection at most once a
            # poll, not before every batch (under load the relay runs dozens of times a
            # second). A check cannot close the window anyway: the connection can drop just
            # after it, and a standby then publishes too; consumers' inboxes absorb repeats.
            if time.monotonic() - self._lock_checked < self._poll_seconds:
                return True
            try:
                await self._lock_connection.execute(text("SELECT 1"))
                self._lock_checked = time.monotonic()
                return True
            except Exception:
                await self._release_leadership()
        # Autocommit: the lock belongs to the session, and the connection must not sit "idle
        # in transaction" (a server timeout for that would end the leadership silently).
        connection = await self._engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            got = (
                await connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self._lock_key}
                )
            ).scalar_one()
        except BaseException:
            await connection.close()
            raise
        if got:
            self._lock_connection = connection
            self._lock_checked = time.monotonic()
            log.info("outbox.leadership_acquired")
            return True
        await connection.close()
        return False

    async def _release_leadership(self) -> None:
        connection, self._lock_connection = self._lock_connection, None
        if connection is not None:
            # A pooled connection keeps its session (and so the lock) alive: unlock first.
            with contextlib.suppress(Exception):
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self._lock_key}
                )
            with contextlib.suppress(Exception):
                await connection.close()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        self._wakeup.clear()
