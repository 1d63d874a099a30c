"""What every service process does the same way: signals, readiness checks, migrations."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from candor_shared import migrations
from candor_shared.settings import CandorSettings


def on_stop_signals(stop: Callable[[], None]) -> None:
    """Call ``stop`` on SIGINT or SIGTERM (once each; a second Ctrl-C still interrupts)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)


def database_check(engine: AsyncEngine) -> Callable[[], Awaitable[bool]]:
    """A readiness check that runs ``SELECT 1`` with a two-second limit."""

    async def check() -> bool:
        async with asyncio.timeout(2), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True

    return check


async def migrate(settings: CandorSettings, *, script_location: Path, version_table: str) -> None:
    """Apply the service's migrations (in a thread: Alembic is blocking)."""
    await asyncio.to_thread(
        migrations.upgrade,
        script_location=script_location,
        url=settings.database_url,
        schema=settings.database_schema,
        version_table=version_table,
    )
