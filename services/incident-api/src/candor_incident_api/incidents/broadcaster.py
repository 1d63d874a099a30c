"""Tells users about incidents whose notification delay has passed and that still stand.

A background task of incident-api. Each pass locks the due incidents (``SKIP LOCKED`` on
PostgreSQL, so that replicas share the work and never announce one incident twice), marks
them broadcast and publishes their ``incident.opened`` event in the same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from candor_incident_api.incidents.lifecycle import broadcast_now
from candor_incident_api.incidents.models import Incident
from candor_shared.clock import Clock, utcnow
from candor_shared.kafka import OutboxRelay

log = structlog.get_logger(__name__)


class Broadcaster:
    """Announces held-back incidents when they fall due."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        relay: OutboxRelay,
        clock: Clock = utcnow,
        max_sleep: float = 1.0,
        batch_size: int = 100,
    ) -> None:
        self._sessions = sessions
        self._relay = relay
        self._clock = clock
        self._max_sleep = max_sleep
        self._batch_size = batch_size
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look again now (an incident was held back, or the clock moved in a test)."""
        self._wake.set()

    async def run(self) -> None:
        """Announce due incidents until cancelled; database trouble is logged and waited out."""
        backoff = self._max_sleep
        while True:
            sleep = self._max_sleep
            try:
                due = await self.tick()
                backoff = self._max_sleep
                if due is not None:
                    sleep = max(0.0, min(sleep, (due - self._clock()).total_seconds()))
            except Exception:
                log.exception("broadcaster.failed", retry_in=backoff)
                sleep, backoff = backoff, min(backoff * 2, 30.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=sleep)

    async def tick(self) -> datetime | None:
        """Announce what is due; return when the next held-back incident falls due."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            due = (
                await session.scalars(
                    select(Incident)
                    .where(
                        Incident.notify_at <= now,
                        Incident.broadcast.is_(False),
                        Incident.status != "resolved",
                    )
                    .order_by(Incident.notify_at)
                    .limit(self._batch_size)
                    .options(selectinload(Incident.service))
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for incident in due:
                incident.version += 1
                incident.updated_at = now
                await broadcast_now(session, incident, now, actor="candor")
            following: datetime | None = await session.scalar(
                select(func.min(Incident.notify_at)).where(
                    Incident.notify_at > now, Incident.broadcast.is_(False)
                )
            )
        if due:
            log.info("broadcaster.announced", incidents=len(due))
            self._relay.wake()
        return following
