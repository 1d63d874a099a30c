"""Automatic transitions: windows start when their start comes and complete when their end does.

Every replica of incident-api runs one scheduler. Each transition is a conditional UPDATE
(status and version as read) in its own transaction with its event, so replicas racing for
the same window make and publish each transition once. The scheduler sleeps until the next
transition falls due, at most ``poll_seconds``, and is woken early when a window is created
or changed. A database outage is logged and waited out with a growing pause.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_incident_api.maintenance import repository, service
from candor_shared.clock import Clock, utcnow
from candor_shared.kafka import OutboxRelay
from candor_shared.polling import PollLoop

log = structlog.get_logger(__name__)


class MaintenanceScheduler:
    """Starts and completes maintenance windows on time; safe with several replicas."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        relay: OutboxRelay | None = None,
        clock: Clock = utcnow,
        poll_seconds: float = 15.0,
        batch_size: int = 100,
        max_backoff_seconds: float = 30.0,
        wake_broadcaster: Callable[[], None] | None = None,
    ) -> None:
        self.clock = clock
        """What time it is; tests replace it to move time instead of sleeping."""
        self._sessions = sessions
        self._relay = relay
        self._batch_size = batch_size
        self._wake_broadcaster = wake_broadcaster
        """Called after transitions committed: a completed window may have released incidents."""
        self._loop = PollLoop(
            self.run_once,
            name="maintenance.scheduler",
            poll_seconds=poll_seconds,
            max_backoff_seconds=max_backoff_seconds,
            clock=lambda: self.clock(),
        )

    def wake(self) -> None:
        """Look for due windows now (a window was created or changed)."""
        self._loop.wake()

    async def run_once(self) -> datetime | None:
        """Make every transition due now; return when the next one falls due (None: none)."""
        now = self.clock()
        made = 0
        while True:
            async with self._sessions() as session:
                ids = await repository.due_ids(session, now, limit=self._batch_size)
            for window_id in ids:
                made += await self._advance(window_id, now)
            if len(ids) < self._batch_size:
                break
        if made and self._relay is not None:
            self._relay.wake()
        if made and self._wake_broadcaster is not None:
            self._wake_broadcaster()
        async with self._sessions() as session:
            return await repository.next_due(session)

    async def _advance(self, window_id: uuid.UUID, now: datetime) -> int:
        async with self._sessions() as session, session.begin():
            window = await repository.get(session, window_id)
            if window is None:
                return 0
            made = await service.advance_due(session=session, window=window, now=now)
        if made:
            log.info("maintenance.advanced", maintenance_id=str(window_id), status=window.status)
        return made

    async def run(self) -> None:
        """Run until cancelled, never stopped by a failure."""
        await self._loop.run()
