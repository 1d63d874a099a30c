"""Automatic post-incident reports: ``CANDOR_REPORT_AUTO_AFTER`` after an incident is
resolved, its report goes to users with the facts known so far, unless operators published
one already.

The due time is not a timer but a query (resolved incidents whose resolution is that old
and whose report is not published), so a restart changes nothing. Each report is published
in its own transaction with the incident locked, so replicas racing for it publish it once
(the second finds it published). An incident resolved more than ``LOOKBACK`` before its
report fell due gets none: the API was down that long, or automatic reports were turned on
after it, and a report that late would surprise more than inform.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_incident_api.errors import ApiError
from candor_incident_api.incidents import lifecycle
from candor_incident_api.postmortems import repository, service
from candor_shared.clock import Clock, utcnow
from candor_shared.kafka import OutboxRelay
from candor_shared.polling import PollLoop

log = structlog.get_logger(__name__)

LOOKBACK = timedelta(days=7)


class ReportScheduler:
    """Publishes the automatic reports that fell due; safe with several replicas."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        auto_after: timedelta,
        relay: OutboxRelay | None = None,
        clock: Clock = utcnow,
        poll_seconds: float = 60.0,
        batch_size: int = 100,
        max_backoff_seconds: float = 300.0,
    ) -> None:
        self.clock = clock
        """What time it is; tests replace it to move time instead of sleeping."""
        self._sessions = sessions
        self._auto_after = auto_after
        self._relay = relay
        self._batch_size = batch_size
        self._loop = PollLoop(
            self._pass,
            name="report.scheduler",
            poll_seconds=poll_seconds,
            max_backoff_seconds=max_backoff_seconds,
            clock=lambda: self.clock(),
        )

    async def run_once(self) -> int:
        """Publish every automatic report due now. Returns how many were published."""
        now = self.clock()
        resolved_before = now - self._auto_after
        async with self._sessions() as session:
            due = await repository.due_automatic(
                session,
                resolved_after=resolved_before - LOOKBACK,
                resolved_before=resolved_before,
                limit=self._batch_size,
            )
        published = 0
        for incident_id in due:
            async with self._sessions() as session, session.begin():
                incident = await lifecycle.lock(session, incident_id)
                try:
                    await service.publish(
                        session=session,
                        incident=incident,
                        by=service.AUTOMATIC,
                        now=now,
                        automatic=True,
                    )
                except ApiError:
                    # Reopened, or published meanwhile (by an operator or another replica).
                    continue
            published += 1
            log.info("report.published_automatically", incident_id=str(incident_id))
        if published and self._relay is not None:
            self._relay.wake()
        return published

    async def run(self) -> None:
        """Run until cancelled, never stopped by a failure."""
        await self._loop.run()

    async def _pass(self) -> None:
        await self.run_once()
