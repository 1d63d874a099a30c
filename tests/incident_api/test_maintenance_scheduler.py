"""Automatic maintenance transitions: on time by a moved clock, woken by a new window, once
with two replicas racing, and still working after the database was away."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from candor_dev.ports import free_port
from candor_incident_api.maintenance.scheduler import MaintenanceScheduler
from candor_incident_api.settings import ApiSettings
from candor_shared.contract.maintenance import (
    MaintenanceCompleted,
    MaintenanceScheduled,
    MaintenanceStarted,
)
from candor_shared.db import create_engine, session_factory
from tests.conftest import ADMIN_TOKEN, RunningApi, eventually
from tests.incident_api.helpers import outbox_empty
from tests.kafka_helpers import read_events

MAINTENANCE = "candor.maintenance.v1"


class MovableClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _schedule(
    operator: httpx.AsyncClient, *, start_in: timedelta, hours: float = 1
) -> dict[str, Any]:
    starts_at = datetime.now(UTC).replace(microsecond=0) + start_in
    response = await operator.post(
        "/v1/maintenance",
        json={
            "title": "Mail server upgrade",
            "services": ["email"],
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=hours)).isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _email(operator: httpx.AsyncClient) -> None:
    response = await operator.post("/v1/services", json={"slug": "email", "name": "Email"})
    assert response.status_code in (200, 201), response.text


async def _status(operator: httpx.AsyncClient, window: dict[str, Any]) -> dict[str, Any]:
    response = await operator.get(f"/v1/maintenance/{window['id']}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_window_starts_and_completes_at_its_planned_times(
    api: RunningApi, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _email(operator)
    window = await _schedule(operator, start_in=timedelta(hours=1))
    starts_at, ends_at = _time(window["starts_at"]), _time(window["ends_at"])
    scheduler: MaintenanceScheduler = api.app.state.maintenance_scheduler
    clock = MovableClock(starts_at - timedelta(seconds=1))
    scheduler.clock = clock
    # A second before its start, nothing happens; the start is the next thing due.
    assert await scheduler.run_once() == starts_at
    assert (await _status(operator, window))["status"] == "scheduled"

    clock.now = starts_at
    scheduler.wake()
    started = await eventually(lambda: _in(operator, window, "in_progress"), timeout=10)
    assert _time(started["started_at"]) == starts_at
    assert started["version"] == 2

    clock.now = ends_at + timedelta(seconds=30)
    scheduler.wake()
    completed = await eventually(lambda: _in(operator, window, "completed"), timeout=10)
    assert _time(completed["completed_at"]) == ends_at
    assert completed["version"] == 3

    events = await read_events(broker, f"{topic_prefix}{MAINTENANCE}", count=3)
    assert [type(e.data) for e in events] == [
        MaintenanceScheduled,
        MaintenanceStarted,
        MaintenanceCompleted,
    ]
    assert [e.data.maintenance.version for e in events] == [1, 2, 3]  # type: ignore[attr-defined]
    assert events[1].data.maintenance.started_at == starts_at  # type: ignore[attr-defined]


async def _in(
    operator: httpx.AsyncClient, window: dict[str, Any], status: str
) -> dict[str, Any] | None:
    body = await _status(operator, window)
    return body if body["status"] == status else None


async def test_a_window_whose_end_passed_while_scheduled_is_started_then_completed(
    api: RunningApi, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _email(operator)
    window = await _schedule(operator, start_in=timedelta(hours=1))
    scheduler: MaintenanceScheduler = api.app.state.maintenance_scheduler
    scheduler.clock = MovableClock(_time(window["ends_at"]) + timedelta(hours=5))
    scheduler.wake()

    completed = await eventually(lambda: _in(operator, window, "completed"), timeout=10)

    assert _time(completed["started_at"]) == _time(window["starts_at"])
    assert _time(completed["completed_at"]) == _time(window["ends_at"])
    events = await read_events(broker, f"{topic_prefix}{MAINTENANCE}", count=3)
    assert [type(e.data) for e in events] == [
        MaintenanceScheduled,
        MaintenanceStarted,
        MaintenanceCompleted,
    ]
    assert [e.data.maintenance.status for e in events] == [  # type: ignore[attr-defined]
        "scheduled",
        "in_progress",
        "completed",
    ]


@pytest.fixture
async def slow_polling_api(make_settings: Any) -> AsyncIterator[RunningApi]:
    """incident-api whose scheduler would look only once an hour unless woken."""
    settings = make_settings(
        ApiSettings,
        "incident-api",
        admin_token=ADMIN_TOKEN,
        api_port=free_port(),
        maintenance_poll_seconds=3600,
    )
    running = RunningApi(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_window_starting_now_is_started_at_once(slow_polling_api: RunningApi) -> None:
    async with slow_polling_api.client() as operator:
        await _email(operator)
        window = await _schedule(operator, start_in=-timedelta(minutes=1))
        assert window["status"] == "scheduled"

        started = await eventually(lambda: _in(operator, window, "in_progress"), timeout=10)

        assert _time(started["started_at"]) == _time(window["starts_at"])


async def test_a_window_moved_to_now_is_started_at_once(slow_polling_api: RunningApi) -> None:
    async with slow_polling_api.client() as operator:
        await _email(operator)
        window = await _schedule(operator, start_in=timedelta(days=1))
        now = datetime.now(UTC)
        moved = await operator.patch(
            f"/v1/maintenance/{window['id']}",
            json={"starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()},
        )
        assert moved.status_code == 200, moved.text

        await eventually(lambda: _in(operator, window, "in_progress"), timeout=10)


def _replica_engine(settings: Any, url: str | None = None) -> AsyncEngine:
    """An engine of its own, as another replica of incident-api would have."""
    return create_engine(url or settings.database_url, schema=settings.database_schema)


async def test_two_schedulers_racing_publish_each_transition_once(
    api: RunningApi, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _email(operator)
    windows = [await _schedule(operator, start_in=timedelta(hours=1)) for _ in range(12)]
    clock = MovableClock(_time(windows[0]["starts_at"]) + timedelta(minutes=1))
    engines = [_replica_engine(api.settings) for _ in range(2)]
    schedulers = [
        MaintenanceScheduler(sessions=session_factory(engine), clock=clock) for engine in engines
    ]
    try:
        await asyncio.gather(*(s.run_once() for s in schedulers))
        clock.now = max(_time(w["ends_at"]) for w in windows) + timedelta(minutes=1)
        await asyncio.gather(*(s.run_once() for s in schedulers))
        # A third round finds nothing left to do.
        await asyncio.gather(*(s.run_once() for s in schedulers))
    finally:
        for engine in engines:
            await engine.dispose()
    api.app.state.candor.relay.wake()
    await eventually(lambda: outbox_empty(api), timeout=30)

    expected = len(windows) * 3
    events = await read_events(broker, f"{topic_prefix}{MAINTENANCE}", count=None)
    assert len(events) == expected
    by_window: dict[str, list[str]] = {}
    for event in events:
        snapshot = event.data.maintenance  # type: ignore[attr-defined]
        by_window.setdefault(snapshot.id, []).append(f"{snapshot.status}@{snapshot.version}")
    assert by_window == {w["id"]: ["scheduled@1", "in_progress@2", "completed@3"] for w in windows}


class DatabaseSwitch:
    """Makes the database reachable or not for one engine, for real.

    PostgreSQL: a TCP proxy in front of the server, closed with its connections to go down.
    SQLite: a symbolic link to the database file, replaced by a directory to go down.
    """

    def __init__(self, settings: Any, tmp_path: Path) -> None:
        url = make_url(settings.database_url)
        self._sqlite = url.get_backend_name() == "sqlite"
        self._target = url
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.StreamWriter] = set()
        if self._sqlite:
            self._link = tmp_path / "switch" / "incident-api.db"
            self._link.parent.mkdir()
            self.url = str(url.set(database=str(self._link)))
        else:
            self._port = free_port()
            self.url = url.set(host="127.0.0.1", port=self._port).render_as_string(
                hide_password=False
            )

    async def up(self) -> None:
        if self._sqlite:
            if self._link.is_dir():
                self._link.rmdir()
            os.symlink(str(self._target.database), self._link)
            return
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self._port)

    async def down(self, engine: AsyncEngine) -> None:
        if self._sqlite:
            self._link.unlink()
            self._link.mkdir()
        elif self._server is not None:
            self._server.close()
            for writer in list(self._transports):
                writer.transport.abort()
            self._server = None
        # Connections already open would not notice a replaced file; drop them.
        await engine.dispose()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self._target.host or "127.0.0.1", self._target.port or 5432
            )
        except OSError:
            writer.transport.abort()
            return
        self._transports.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._transports.difference_update((writer, up_writer))


async def test_the_scheduler_keeps_going_through_a_database_outage(
    api: RunningApi, operator: httpx.AsyncClient, tmp_path: Path
) -> None:
    await _email(operator)
    first = await _schedule(operator, start_in=timedelta(hours=1))
    second = await _schedule(operator, start_in=timedelta(hours=3))
    switch = DatabaseSwitch(api.settings, tmp_path)
    await switch.up()
    engine = _replica_engine(api.settings, switch.url)
    clock = MovableClock(_time(first["starts_at"]))
    scheduler = MaintenanceScheduler(
        sessions=session_factory(engine), clock=clock, poll_seconds=0.1, max_backoff_seconds=0.2
    )
    task = asyncio.create_task(scheduler.run())
    try:
        with capture_logs() as logs:
            await eventually(lambda: _in(operator, first, "in_progress"), timeout=10)

            await switch.down(engine)
            clock.now = _time(second["starts_at"])
            scheduler.wake()
            await eventually(
                lambda: sum(e["event"] == "maintenance.scheduler_failed" for e in logs) >= 3,
                timeout=20,
            )
            assert (await _status(operator, second))["status"] == "scheduled"
            assert not task.done()

            await switch.up()
            await eventually(lambda: _in(operator, second, "in_progress"), timeout=20)
            assert (await _status(operator, first))["status"] == "completed"
        assert not task.done()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await engine.dispose()
