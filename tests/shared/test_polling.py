"""The poll loop behind deadlines, maintenance transitions, automatic reports and reminders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from structlog.testing import capture_logs

from candor_shared.polling import MIN_PAUSE, PollLoop
from tests.conftest import eventually

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_it_sleeps_until_the_next_due_instant_within_the_poll_interval() -> None:
    async def never() -> None:
        raise AssertionError("not run")

    loop = PollLoop(never, name="t", poll_seconds=15.0, clock=lambda: NOW)
    assert loop.pause_after(None) == 15.0
    assert loop.pause_after(NOW + timedelta(seconds=4)) == 4.0
    assert loop.pause_after(NOW + timedelta(hours=1)) == 15.0
    # Due already, or in the past: a short floor, not a spin.
    assert loop.pause_after(NOW - timedelta(minutes=5)) == MIN_PAUSE


def test_failures_back_off_doubling_up_to_the_ceiling() -> None:
    async def never() -> None:
        raise AssertionError("not run")

    loop = PollLoop(never, name="t", poll_seconds=15.0, max_backoff_seconds=30.0)
    assert [loop.backoff(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


async def test_a_failing_pass_is_logged_and_retried_and_wake_ends_a_long_sleep() -> None:
    passes: list[int] = []

    async def flaky() -> None:
        passes.append(len(passes))
        if len(passes) <= 2:
            raise ConnectionError("database away")

    loop = PollLoop(flaky, name="test.loop", poll_seconds=3600.0, max_backoff_seconds=0.01)
    with capture_logs() as logs:
        task = asyncio.create_task(loop.run())
        try:
            # Two failures, then a success that sleeps for an hour.
            await eventually(lambda: loop.sleeping_until is not None and len(passes) == 3)
            assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
                "test.loop_failed",
                "test.loop_failed",
            ]
            loop.wake()
            await eventually(lambda: len(passes) == 4)
            loop.stop()
            await asyncio.wait_for(task, timeout=10)
        finally:
            task.cancel()
    assert logs[0]["failures"] == 1
    assert "database away" in logs[0]["error"]
