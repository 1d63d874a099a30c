"""How a consumer service (sla-monitor, notifier) runs: one shape for both.

A worker migrates (in development), opens its engine, runs its consumer loops and any other
long-running tasks (an outbox relay, a delivery sender), and serves ``/healthz``,
``/readyz`` and ``/metrics`` (plus any routes of its own) on its port. ``stop()`` lets the
consumers finish the record in hand and commit before everything closes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from candor_shared.db import create_engine, session_factory
from candor_shared.kafka.consumer import ConsumerLoop
from candor_shared.observability import embedded_server, health_router
from candor_shared.runtime import database_check, migrate
from candor_shared.settings import CandorSettings

log = structlog.get_logger(__name__)


@dataclass
class WorkerParts:
    """What a worker runs, built once its database is open."""

    consumers: list[ConsumerLoop]
    tasks: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    routers: list[APIRouter] = field(default_factory=list)
    on_stop: list[Callable[[], None]] = field(default_factory=list)


Build = Callable[[AsyncEngine, async_sessionmaker[AsyncSession]], WorkerParts]


class Worker:
    """One worker process's lifecycle around the parts that ``build`` returns."""

    def __init__(
        self,
        *,
        service: str,
        settings: CandorSettings,
        migrations: Path,
        version_table: str,
        host: str,
        port: int,
        build: Build,
        serve_http: bool = True,
    ) -> None:
        self.service = service
        self.settings = settings
        self._migrations = migrations
        self._version_table = version_table
        self._host = host
        self._port = port
        self._build = build
        self._serve_http = serve_http
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()
        self.parts: WorkerParts | None = None
        self.engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None

    def stop(self) -> None:
        """Ask the worker to finish what it holds and return from :meth:`run`."""
        self._stopping.set()
        if self.parts is not None:
            for consumer in self.parts.consumers:
                consumer.stop()
            for callback in self.parts.on_stop:
                callback()

    async def run(self) -> None:
        """Run until :meth:`stop` is called."""
        if self.settings.env == "development":
            await migrate(
                self.settings, script_location=self._migrations, version_table=self._version_table
            )
        engine = create_engine(
            self.settings.database_url,
            schema=self.settings.database_schema,
            pool_size=self.settings.database_pool_size,
        )
        sessions = session_factory(engine)
        self.engine, self.sessions = engine, sessions
        parts = self._build(engine, sessions)
        self.parts = parts
        if self._stopping.is_set():
            self.stop()
        database_ready = database_check(engine)

        async def consumers_ready() -> bool:
            return all(consumer.connected for consumer in parts.consumers)

        tasks = [asyncio.create_task(consumer.run()) for consumer in parts.consumers]
        tasks += [asyncio.create_task(task()) for task in parts.tasks]
        server = None
        if self._serve_http:
            app = FastAPI(title=f"Candor {self.service}", docs_url="/docs", redoc_url=None)
            app.include_router(
                health_router({"database": database_ready, "kafka": consumers_ready})
            )
            for router in parts.routers:
                app.include_router(router)
            server = embedded_server(app, host=self._host, port=self._port)
            tasks.append(asyncio.create_task(server.serve()))
        log.info("worker.started", service=self.service, port=self._port)
        self.ready.set()
        try:
            await self._stopping.wait()
            consumer_tasks = tasks[: len(parts.consumers)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*consumer_tasks, return_exceptions=True), timeout=15
                )
        finally:
            if server is not None:
                # Let uvicorn close its listener itself; cancelling it mid-shutdown logs errors.
                server.should_exit = True
                await asyncio.wait([tasks[-1]], timeout=5)
            for task in tasks:
                if not task.done():
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await engine.dispose()
            log.info("worker.stopped", service=self.service)
