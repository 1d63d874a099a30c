"""The loop behind every timer of Candor that is a query, not a sleeping task.

Deadlines, maintenance transitions, automatic reports and reminders all keep their due
times in the database, so that a restart loses nothing: a *pass* looks for what is due now,
does it, and may say when the next thing falls due. :class:`PollLoop` runs such a pass until
cancelled or stopped:

- it sleeps until the next due instant the pass returned, at most ``poll_seconds`` (another
  replica, or an event, may have added something earlier), and at least ``MIN_PAUSE`` so that
  an instant that cannot be acted on yet does not spin the loop;
- :meth:`PollLoop.wake` ends the sleep early (a handler just committed something due soon);
- a failing pass (the database away) is logged and retried after a pause that doubles up to
  ``max_backoff_seconds``; it never ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from candor_shared.clock import Clock, utcnow

log = structlog.get_logger(__name__)

MIN_PAUSE = 0.05
"""Seconds: the shortest sleep between passes, whatever the pass said."""

FIRST_BACKOFF = 0.5
"""Seconds: the pause after a first failed pass; it doubles with each further failure."""


Pass = Callable[[], Awaitable[datetime | None]]
"""One look for due work; returns when the next thing falls due, None when unknown."""


class PollLoop:
    """Runs ``run_pass`` again and again; see the module's docstring for the timing."""

    def __init__(
        self,
        run_pass: Pass,
        *,
        name: str,
        poll_seconds: float,
        max_backoff_seconds: float = 300.0,
        clock: Clock | Callable[[], datetime] = utcnow,
    ) -> None:
        self._run_pass = run_pass
        self._name = name
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._stopping = False
        self.sleeping_until: datetime | None = None
        """Until when the loop sleeps now (None: it is running a pass, or not started)."""

    def wake(self) -> None:
        """Run the next pass now rather than at the end of the current sleep."""
        self._wakeup.set()

    def stop(self) -> None:
        """Return from :meth:`run` after the pass in hand."""
        self._stopping = True
        self._wakeup.set()

    def pause_after(self, next_due: datetime | None) -> float:
        """Seconds to sleep after a successful pass that named ``next_due``."""
        pause = self._poll_seconds
        if next_due is not None:
            until_due = (next_due - self._clock()).total_seconds()
            pause = min(pause, until_due)
        return max(MIN_PAUSE, pause)

    def backoff(self, failures: int) -> float:
        """Seconds to sleep after ``failures`` passes failed in a row."""
        return float(min(self._max_backoff, FIRST_BACKOFF * 2 ** min(failures - 1, 10)))

    async def run(self) -> None:
        """Run passes until cancelled or stopped; a failure never ends the loop."""
        failures = 0
        while not self._stopping:
            self._wakeup.clear()
            try:
                next_due = await self._run_pass()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                pause = self.backoff(failures)
                log.warning(
                    f"{self._name}_failed",
                    error=repr(exc),
                    failures=failures,
                    retry_in_seconds=pause,
                )
            else:
                failures = 0
                pause = self.pause_after(next_due)
            if self._stopping:
                break
            self.sleeping_until = self._clock() + timedelta(seconds=pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=pause)
            self.sleeping_until = None
