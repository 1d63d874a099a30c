"""Fixtures: the real broker, a real database (SQLite or PostgreSQL), a real SMTP server.

- Kafka: one embedded Tansu broker per test session (or CANDOR_TEST_KAFKA_BOOTSTRAP); each
  test gets its own topic prefix, so consumer groups and topics never meet across tests.
- Database: SQLite files under the test's tmp_path by default; with CANDOR_TEST_DATABASE_URL
  (postgresql+asyncpg://...) each test gets its own schemas in that database, dropped after.
- Email: an aiosmtpd server per test that keeps what it receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import text

from candor_dev.broker import EmbeddedBroker
from candor_dev.mailcatcher import MailCatcher
from candor_dev.ports import free_port
from candor_shared.db import create_engine
from candor_shared.settings import CandorSettings
from tests.notifier.hook_catcher import HookCatcher

S = TypeVar("S", bound=CandorSettings)

PG_URL = os.environ.get("CANDOR_TEST_DATABASE_URL", "")
ADMIN_TOKEN = "test-admin-token"


def pytest_report_header(config: pytest.Config) -> str:
    return f"candor database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """The bootstrap address of the session's Kafka-protocol broker."""
    external = os.environ.get("CANDOR_TEST_KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    embedded = EmbeddedBroker()
    embedded.start()
    try:
        yield embedded.bootstrap
    finally:
        embedded.stop()


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix of the test's own."""
    return f"t{uuid.uuid4().hex[:10]}."


class Databases:
    """Hands out one database location per service for one test, and cleans up."""

    def __init__(self, tmp_path: Path) -> None:
        self._tmp_path = tmp_path
        self._tag = uuid.uuid4().hex[:8]
        self.schemas: list[str] = []

    @property
    def is_postgres(self) -> bool:
        return bool(PG_URL)

    def for_service(self, service: str) -> dict[str, str]:
        """``database_url`` and ``database_schema`` settings for ``service``."""
        if PG_URL:
            schema = f"t{self._tag}_{service.replace('-', '_')}"
            self.schemas.append(schema)
            return {"database_url": PG_URL, "database_schema": schema}
        return {
            "database_url": f"sqlite+aiosqlite:///{self._tmp_path / (service + '.db')}",
            "database_schema": "",
        }

    async def drop(self) -> None:
        if not PG_URL or not self.schemas:
            return
        engine = create_engine(PG_URL)
        try:
            async with engine.begin() as connection:
                for schema in self.schemas:
                    await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            await engine.dispose()


@pytest.fixture
async def databases(tmp_path: Path) -> AsyncIterator[Databases]:
    dbs = Databases(tmp_path)
    try:
        yield dbs
    finally:
        await dbs.drop()


@pytest.fixture
def mail() -> Iterator[MailCatcher]:
    """A real SMTP server for this test."""
    catcher = MailCatcher()
    catcher.start()
    try:
        yield catcher
    finally:
        catcher.stop()


@pytest.fixture
def make_settings(broker: str, topic_prefix: str, databases: Databases) -> Callable[..., Any]:
    """Build a service's settings pointed at this test's broker, topics and database."""

    def build(cls: type[S], service: str, **overrides: Any) -> S:
        values: dict[str, Any] = {
            "env": "development",
            "kafka_bootstrap": broker,
            "kafka_topic_prefix": topic_prefix,
            "kafka_partitions": 3,
            "kafka_session_timeout_ms": 3000,
            "outbox_poll_seconds": 0.2,
            "log_format": "console",
            **databases.for_service(service),
        }
        values.update(overrides)
        return cls(**values)

    return build


async def eventually(
    check: Callable[[], Awaitable[Any]] | Callable[[], Any],
    *,
    timeout: float = 15.0,
    interval: float = 0.05,
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with its last value otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        last = result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")
        await asyncio.sleep(interval)


# ---- incident-api ---------------------------------------------------------------------------


class RunningApi:
    """incident-api served by uvicorn on a loopback port, inside the test's event loop."""

    def __init__(self, settings: Any) -> None:
        from candor_incident_api.app import create_app
        from candor_shared.observability import embedded_server

        self.settings = settings
        self.app = create_app(settings)
        self.port = settings.api_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = embedded_server(self.app, host="127.0.0.1", port=self.port)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve())
        await eventually(lambda: self._server.started, timeout=20)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def client(self, token: str | None = ADMIN_TOKEN) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture
def api_settings(make_settings: Callable[..., Any]) -> Any:
    from candor_incident_api.settings import ApiSettings

    return make_settings(ApiSettings, "incident-api", admin_token=ADMIN_TOKEN, api_port=free_port())


@pytest.fixture
async def api(api_settings: Any) -> AsyncIterator[RunningApi]:
    running = RunningApi(api_settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def operator(api: RunningApi) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client carrying the operator token."""
    async with api.client() as client:
        yield client


class HeldClock:
    """A clock that says what the test sets (``clock.now = ...``), for workers given a clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# ---- notifier --------------------------------------------------------------------------------


class RunningWorker:
    """A worker (notifier, sla-monitor), without its HTTP port, as a task in the test's loop."""

    def __init__(self, worker: Any) -> None:
        self.worker = worker
        self.settings = worker.settings
        self._task: asyncio.Task[None] | None = None

    @property
    def sessions(self) -> Any:
        """The worker's session factory, to read its tables."""
        assert self.worker.sessions is not None
        return self.worker.sessions

    async def start(self) -> None:
        task = asyncio.create_task(self.worker.run())
        self._task = task
        await eventually(lambda: self.worker.ready.is_set() or task.done(), timeout=30)
        if task.done():
            task.result()  # raises what stopped the worker from starting

    async def stop(self) -> None:
        """Stop the worker and wait until it has returned (idempotent)."""
        task, self._task = self._task, None
        if task is not None:
            self.worker.stop()
            await asyncio.wait_for(task, timeout=30)


class RunningNotifier(RunningWorker):
    """The notifier worker (no HTTP port) as a task in the test's event loop."""

    def __init__(self, settings: Any) -> None:
        from candor_notifier.worker import create_worker

        super().__init__(create_worker(settings, serve_http=False))


@pytest.fixture
def notifier_settings(make_settings: Callable[..., Any], mail: MailCatcher) -> Any:
    """Notifier settings pointed at this test's broker, database and SMTP server, retrying fast,
    folding no bursts of updates."""
    from candor_notifier.settings import NotifierSettings

    return make_settings(
        NotifierSettings,
        "notifier",
        smtp_url=mail.url,
        notifier_port=free_port(),
        smtp_timeout_seconds=5,
        delivery_lease_seconds=10,
        delivery_retry_base_seconds=0.05,
        delivery_retry_max_seconds=0.2,
        delivery_poll_seconds=0.1,
        # Every update at once; tests of burst folding turn it on with their own clock.
        notify_min_interval_seconds=0,
    )


@pytest.fixture
async def notifier(notifier_settings: Any) -> AsyncIterator[RunningNotifier]:
    """The notifier, started; stopped after the test unless the test stopped it."""
    running = RunningNotifier(notifier_settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def held_notifier(notifier_settings: Any, clock: HeldClock) -> AsyncIterator[RunningWorker]:
    """The notifier, telling the time by the test's ``clock`` fixture (each module sets its
    own start)."""
    from candor_notifier.worker import create_worker

    running = RunningWorker(create_worker(notifier_settings, serve_http=False, clock=clock))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def hooks() -> AsyncIterator[HookCatcher]:
    """A local HTTP catcher standing in for Slack, Teams and webhook receivers."""
    catcher = HookCatcher()
    await catcher.start()
    try:
        yield catcher
    finally:
        await catcher.stop()


# ---- sla-monitor ----------------------------------------------------------------------------


@pytest.fixture
def sla_settings(make_settings: Callable[..., Any]) -> Any:
    from candor_sla_monitor.settings import SlaSettings

    return make_settings(SlaSettings, "sla-monitor", sla_monitor_port=free_port())


@pytest.fixture
async def sla_monitor(sla_settings: Any) -> AsyncIterator[Any]:
    """sla-monitor's worker consuming this test's topics (no HTTP port); stopped after."""
    from candor_sla_monitor.worker import create_worker

    running = RunningWorker(create_worker(sla_settings, serve_http=False))
    await running.start()
    try:
        yield running.worker
    finally:
        await running.stop()


@pytest.fixture
def own_broker() -> Iterator[EmbeddedBroker]:
    """A broker of the test's own, which it may stop and start again."""
    embedded = EmbeddedBroker()
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()
