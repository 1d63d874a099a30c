"""Writers racing on one incident or one alert leave the ledger as if they had taken turns.

On PostgreSQL the writers really run at once; on SQLite they queue for the write lock.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.contract import AlertFired
from candor_shared.db import create_engine, session_factory, transaction
from candor_shared.runtime import migrate
from candor_sla_monitor.ledger import service
from candor_sla_monitor.ledger.models import AlertInterval, Outage
from candor_sla_monitor.worker import MIGRATIONS, VERSION_TABLE
from tests.sla_monitor.helpers import alert_fired, at, snapshot

INCIDENT = "0195f0c2-eeee-7000-8000-000000000001"
WRITERS = 20


@pytest.fixture
async def ledger_sessions(sla_settings: Any) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await migrate(sla_settings, script_location=MIGRATIONS, version_table=VERSION_TABLE)
    engine = create_engine(
        sla_settings.database_url, schema=sla_settings.database_schema, pool_size=WRITERS
    )
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def test_racing_versions_leave_the_newest(
    ledger_sessions: async_sessionmaker[AsyncSession],
) -> None:
    versions = list(range(1, WRITERS + 1))
    random.shuffle(versions)

    async def write(version: int) -> None:
        # Each version ends the outage at a minute of its own, so the winner can be told.
        incident = snapshot(INCIDENT, version=version, started="08:00", ended=f"09:{version:02d}")
        async with transaction(ledger_sessions) as session:
            await service.record_incident(
                session=session, incident=incident, observed_at=at("10:00")
            )

    await asyncio.gather(*(write(version) for version in versions))

    async with ledger_sessions() as session:
        rows = list(await session.scalars(select(Outage)))
    assert [(row.last_version, row.ended_at) for row in rows] == [
        (WRITERS, at(f"09:{WRITERS:02d}"))
    ]


async def test_racing_identical_firings_leave_one_interval(
    ledger_sessions: async_sessionmaker[AsyncSession],
) -> None:
    fired = alert_fired(INCIDENT, starts="08:00").data
    assert isinstance(fired, AlertFired)

    async def write() -> bool:
        async with transaction(ledger_sessions) as session:
            return await service.record_alert_fired(session=session, alert=fired)

    recorded = await asyncio.gather(*(write() for _ in range(WRITERS)))

    assert recorded.count(True) == 1
    async with ledger_sessions() as session:
        rows = list(await session.scalars(select(AlertInterval)))
    assert [(row.starts_at, row.ends_at) for row in rows] == [(at("08:00"), None)]
