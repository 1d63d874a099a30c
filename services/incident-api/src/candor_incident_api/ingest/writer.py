"""The ingest writer: concurrent alert posts share one transaction (group commit).

Each request hands its parsed alerts to the writer and waits. The writer takes everything
that is waiting, applies it in one transaction, commits, and only then answers every request
of the batch, so a 202 still means "committed". While one batch commits, the next one
gathers: under load, round trips and commits are shared; alone, a request waits for no one.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

import structlog
from prometheus_client import Histogram
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_incident_api.errors import ApiError
from candor_incident_api.incidents.service import RoutedAlert, apply_alerts
from candor_incident_api.ingest.auth import IngestCaller
from candor_incident_api.ingest.model import InboundAlert
from candor_incident_api.routing.service import Unrouted, place, record_unrouted
from candor_incident_api.routing.services import ServiceCache
from candor_incident_api.routing.table import RoutingTable
from candor_shared.clock import Clock, utcnow
from candor_shared.kafka import OutboxRelay
from candor_shared.kafka.consumer import is_transient

log = structlog.get_logger(__name__)

_RETRY = ("40001", "40P01")

BATCH_SIZE = Histogram(
    "candor_ingest_batch_requests",
    "Requests committed together by the ingest writer",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)


@dataclass
class _Submission:
    caller: IngestCaller
    alerts: list[InboundAlert]
    future: asyncio.Future[list[uuid.UUID | None]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class IngestWriter:
    """Applies submitted alerts in shared transactions, one batch at a time."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        relay: OutboxRelay,
        routing: RoutingTable,
        clock: Clock = utcnow,
        max_alerts_per_batch: int = 5000,
    ) -> None:
        self._sessions = sessions
        self._relay = relay
        self._routing = routing
        self._clock = clock
        self._max_alerts = max_alerts_per_batch
        self._queue: asyncio.Queue[_Submission] = asyncio.Queue()
        self._services = ServiceCache()

    async def submit(
        self, *, caller: IngestCaller, alerts: list[InboundAlert]
    ) -> list[uuid.UUID | None]:
        """Apply ``alerts`` and return once committed: per alert, its incident (or None)."""
        submission = _Submission(caller=caller, alerts=alerts)
        self._queue.put_nowait(submission)
        return await submission.future

    async def run(self) -> None:
        """Take batches off the queue until cancelled."""
        while True:
            batch = [await self._queue.get()]
            count = len(batch[0].alerts)
            while count < self._max_alerts:
                try:
                    submission = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                batch.append(submission)
                count += len(submission.alerts)
            BATCH_SIZE.observe(len(batch))
            try:
                await self._commit_batch(batch)
            except asyncio.CancelledError:
                for submission in batch:
                    if not submission.future.done():
                        submission.future.cancel()
                raise

    async def _commit_batch(self, batch: list[_Submission]) -> None:
        try:
            await self._apply(batch)
        except Exception as exc:
            if len(batch) > 1 and not is_transient(exc):
                # One bad submission must not fail its neighbours: try each on its own.
                for submission in batch:
                    try:
                        await self._apply([submission])
                    except Exception as single:
                        self._fail(submission, single)
            else:
                # One submission, or the database is away for all of them alike.
                for submission in batch:
                    self._fail(submission, exc)

    async def _apply(self, batch: list[_Submission]) -> None:
        for attempt in range(3):
            try:
                await self._apply_once(batch)
                return
            except sa_exc.DBAPIError as error:
                # Another replica inserted the same incident or alert first (its rows are
                # committed now, so applying again finds them), or the two deadlocked.
                sqlstate = str(getattr(error.orig, "sqlstate", "") or "")
                retriable = isinstance(error, sa_exc.IntegrityError) or sqlstate in _RETRY
                if attempt == 2 or not retriable:
                    raise
                log.info("ingest.retry_after_conflict", attempt=attempt + 1)

    async def _apply_once(self, batch: list[_Submission]) -> None:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            rules = await self._routing.rules(session)
            placements = await place(
                session,
                rules,
                [(submission.caller, submission.alerts) for submission in batch],
                services=self._services,
            )
            accepted: list[tuple[_Submission, list[RoutedAlert | Unrouted]]] = []
            routed: list[RoutedAlert] = []
            unrouted: list[Unrouted] = []
            for submission, placed in zip(batch, placements, strict=True):
                if isinstance(placed, ApiError):
                    self._fail(submission, placed)
                    continue
                accepted.append((submission, placed))
                for item in placed:
                    if isinstance(item, RoutedAlert):
                        routed.append(item)
                    else:
                        unrouted.append(item)
            incidents = iter(await apply_alerts(session=session, alerts=routed, now=now))
            await record_unrouted(session, unrouted, now)
        if session.info.get("outbox_written"):
            self._relay.wake()
        for submission, placed in accepted:
            outcome = [
                next(incidents) if isinstance(item, RoutedAlert) else None for item in placed
            ]
            if not submission.future.done():
                submission.future.set_result(outcome)

    @staticmethod
    def _fail(submission: _Submission, error: BaseException) -> None:
        if not submission.future.done():
            submission.future.set_exception(error)
