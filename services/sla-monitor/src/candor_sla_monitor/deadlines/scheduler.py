"""The deadline scheduler: fires what the ``deadlines`` table says is due.

Every replica of sla-monitor runs one. A pass takes the deadlines owing an event by now
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two replicas never take the same row) and, in
one transaction, writes their events to the outbox and marks them published. Nothing held in
memory decides what fires: a restarted worker finds what fell due while it was away in the
table and fires it then, once. Between passes the scheduler sleeps until the next instant
falls due, at most ``poll_seconds``, and is woken early when a handler records an earlier
one. A database outage is logged and waited out with a growing pause.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.clock import Clock, utcnow
from candor_shared.db import transaction
from candor_shared.polling import PollLoop
from candor_sla_monitor.deadlines import firing
from candor_sla_monitor.deadlines.service import DeadlinePolicy


class DeadlineScheduler:
    """Publishes ``sla.update_due``, ``sla.at_risk`` and ``sla.breached`` on time, once."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        policy: DeadlinePolicy,
        on_fired: Callable[[], None] | None = None,
        clock: Clock = utcnow,
        poll_seconds: float = 1.0,
        batch_size: int = 200,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self.clock = clock
        """What time it is; tests replace it to move time instead of sleeping."""
        self._sessions = sessions
        self._policy = policy
        self._on_fired = on_fired
        """Called after events were committed to the outbox (the relay's wake)."""
        self._batch_size = batch_size
        self._expected: datetime | None = None
        self._loop = PollLoop(
            self.run_once,
            name="deadlines.scheduler",
            poll_seconds=poll_seconds,
            max_backoff_seconds=max_backoff_seconds,
            clock=lambda: self.clock(),
        )

    def wake(self) -> None:
        """Look for due deadlines now."""
        self._loop.wake()

    def expect(self, instant: datetime) -> None:
        """A handler recorded a deadline owing an event at ``instant`` (not committed yet)."""
        if self._expected is None or instant < self._expected:
            self._expected = instant

    def committed(self, _event: Any = None) -> None:
        """After a consumer's commit: wake if an expected instant comes before the end of
        the current sleep (the new deadline is in the table now)."""
        expected, self._expected = self._expected, None
        if expected is None:
            return
        sleeping_until = self._loop.sleeping_until
        if sleeping_until is None or expected < sleeping_until:
            self.wake()

    async def run_once(self) -> datetime | None:
        """Fire everything due now; return when the next event falls due (None: none)."""
        now = self.clock()
        handled = 0
        while True:
            async with transaction(self._sessions) as session:
                taken = await firing.fire_due(
                    session=session, now=now, policy=self._policy, limit=self._batch_size
                )
            handled += taken
            if taken < self._batch_size:
                break
        if handled and self._on_fired is not None:
            self._on_fired()
        async with self._sessions() as session:
            return await firing.next_fire_at(session)

    async def run(self) -> None:
        """Run until cancelled, never stopped by a failure."""
        await self._loop.run()
