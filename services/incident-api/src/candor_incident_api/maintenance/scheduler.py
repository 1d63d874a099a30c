"""Automatic transitions: windows start when their start comes and complete when their end does.

Every replica of incident-api runs one scheduler. Each transition is a conditional UPDATE
(status and version as read) in its own transaction with its event, so replicas racing for
the same window make and publish each transition once. The scheduler sleeps until the next
transition falls due, at most ``poll_seconds``, and is woken early when a window is created
or changed. A database outage is logged and waited out with a growing pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_incident_api.maintenance import repository, service
from candor_shared.clock import Clock, utcnow
from candor_shared.kafka import OutboxRelay

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
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._max_backoff = max_backoff_seconds
        self._wake_broadcaster = wake_broadcaster
        """Called after transitions committed: a completed window may have released incidents."""
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Look for due windows now (a window was created or changed)."""
        self._wakeup.set()

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
        failures = 0
        while True:
            self._wakeup.clear()
            try:
                next_due = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                pause = min(self._max_backoff, 0.5 * 2 ** min(failures - 1, 10))
                log.warning(
                    "maintenance.scheduler_failed",
                    error=repr(exc),
                    failures=failures,
                    retry_in_seconds=pause,
                )
            else:
                failures = 0
                pause = self._poll_seconds
                if next_due is not None:
                    until_due = (next_due - self.clock()).total_seconds()
                    # A floor keeps a window that cannot advance from spinning the loop.
                    pause = max(0.05, min(pause, until_due))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=pause)
