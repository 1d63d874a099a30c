"""The reminder task: looks for due maintenance reminders in the database every few seconds.

A poll rather than a timer per window, so that a restart, a second notifier or a window
scheduled weeks ahead change nothing: the due time is a row, and whoever polls first after
it sends the reminder, once.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_notifier.maintenance import service
from candor_shared.clock import Clock, utcnow
from candor_shared.db import transaction
from candor_shared.polling import PollLoop

MAX_BACKOFF_SECONDS = 30.0


class MaintenanceReminders:
    """Sends due reminders until cancelled; ``on_planned`` (the sender's wake-up) runs after
    a poll that planned some."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        message_domain: str,
        poll_seconds: float,
        on_planned: Callable[[], None],
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._message_domain = message_domain
        self._on_planned = on_planned
        self._clock = clock
        self._loop = PollLoop(
            self._pass,
            name="maintenance.reminders",
            poll_seconds=poll_seconds,
            max_backoff_seconds=MAX_BACKOFF_SECONDS,
            clock=lambda: self._clock(),
        )

    async def send_due(self) -> int:
        """One poll: plan every due reminder. Returns how many windows were reminded."""
        async with transaction(self._sessions) as session:
            reminded = await service.send_due_reminders(
                session=session, message_domain=self._message_domain, now=self._clock()
            )
        if reminded:
            self._on_planned()
        return reminded

    async def run(self) -> None:
        """Poll until cancelled, riding out database outages."""
        await self._loop.run()

    async def _pass(self) -> None:
        await self.send_due()
