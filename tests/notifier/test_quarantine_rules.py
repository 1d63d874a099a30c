"""The quarantine's rules on a held clock: failures in a row over a minimum time, the
cool-off, a success that forgets, and a new URL that is a new endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from candor_notifier.channels.notice import ChannelTarget
from candor_notifier.deliveries import quarantine
from candor_notifier.deliveries.quarantine import QuarantineRules
from candor_notifier.models import OutboxRecord
from candor_notifier.worker import MIGRATIONS, VERSION_TABLE
from candor_shared.db import create_engine, session_factory, transaction
from candor_shared.runtime import migrate

T0 = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)
HOOK = ChannelTarget(type="webhook", url="https://hooks.example.org/candor", secret="whsec_x")
RULES = QuarantineRules(after_failures=3, after=timedelta(minutes=10), cool_off=timedelta(hours=1))


@pytest.fixture
async def sessions(notifier_settings: Any) -> AsyncIterator[Any]:
    await migrate(notifier_settings, script_location=MIGRATIONS, version_table=VERSION_TABLE)
    engine = create_engine(notifier_settings.database_url, schema=notifier_settings.database_schema)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _fail(sessions: Any, at: datetime, target: ChannelTarget = HOOK) -> None:
    async with transaction(sessions) as session:
        await quarantine.note_failure(
            session,
            target=target,
            incident_id="i-1",
            error="500 Internal Server Error",
            rules=RULES,
            now=at,
        )


async def _held(sessions: Any, at: datetime, target: ChannelTarget = HOOK) -> bool:
    async with sessions() as session:
        key = quarantine.endpoint_key(target)
        return key in await quarantine.quarantined(session, {key}, now=at)


async def _told(sessions: Any) -> int:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxRecord.event_type))
        return sum(1 for row in rows if row == "candor.endpoint.quarantined.v1")


async def test_failures_must_come_in_a_row_over_the_minimum_time(sessions: Any) -> None:
    for minute in (0, 1, 2, 3):
        await _fail(sessions, T0 + timedelta(minutes=minute))
    assert not await _held(sessions, T0 + timedelta(minutes=3))  # four failures, 3 minutes

    await _fail(sessions, T0 + timedelta(minutes=10))

    assert await _held(sessions, T0 + timedelta(minutes=10))
    assert await _told(sessions) == 1


async def test_a_success_forgets_the_failures(sessions: Any) -> None:
    await _fail(sessions, T0)
    await _fail(sessions, T0 + timedelta(minutes=5))
    async with transaction(sessions) as session:
        await quarantine.note_success(session, target=HOOK)

    await _fail(sessions, T0 + timedelta(minutes=11))
    await _fail(sessions, T0 + timedelta(minutes=12))

    assert not await _held(sessions, T0 + timedelta(minutes=12))


async def test_after_the_cool_off_one_failure_quarantines_again_and_tells_again(
    sessions: Any,
) -> None:
    for minute in (0, 5, 10):
        await _fail(sessions, T0 + timedelta(minutes=minute))
    assert await _held(sessions, T0 + timedelta(minutes=69))
    assert not await _held(sessions, T0 + timedelta(minutes=70))  # the cool-off is over

    await _fail(sessions, T0 + timedelta(minutes=71))

    assert await _held(sessions, T0 + timedelta(minutes=71))
    assert await _told(sessions) == 2


async def test_another_url_is_another_endpoint(sessions: Any) -> None:
    for minute in (0, 5, 10):
        await _fail(sessions, T0 + timedelta(minutes=minute))

    other = ChannelTarget(type="webhook", url="https://hooks.example.org/candor-2", secret="x")
    assert await _held(sessions, T0 + timedelta(minutes=10))
    assert not await _held(sessions, T0 + timedelta(minutes=10), other)
    assert quarantine.endpoint_key(HOOK) != quarantine.endpoint_key(
        ChannelTarget(type="slack", url=HOOK.url)
    )
