"""Deadlines fire once when facts are handled twice at the same time and scheduler passes race.

On PostgreSQL the writers and the passes really run at once (rows taken ``FOR UPDATE SKIP
LOCKED``); on SQLite they queue for the write lock.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.contract import CloudEvent, EventData, from_kafka
from candor_shared.db import create_engine, session_factory, transaction
from candor_shared.runtime import migrate
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.deadlines import events
from candor_sla_monitor.deadlines.models import IncidentDeadline
from candor_sla_monitor.deadlines.scheduler import DeadlineScheduler
from candor_sla_monitor.deadlines.service import DeadlinePolicy
from candor_sla_monitor.models import OutboxRecord
from candor_sla_monitor.worker import MIGRATIONS, VERSION_TABLE
from tests.sla_monitor.deadline_helpers import TestClock, incident, notice, opened_at
from tests.sla_monitor.helpers import SERVICE, at

INCIDENTS = 12
PASSES = 4
POLICY = DeadlinePolicy(update_lead=timedelta(minutes=5), at_risk_share=0.75)
MAJOR = {
    "acknowledge_within": "PT20M",
    "first_communication_within": "PT40M",
    "update_every": "PT1H",
    "restore_within": "PT4H",
}


@pytest.fixture
async def sessions(sla_settings: Any) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await migrate(sla_settings, script_location=MIGRATIONS, version_table=VERSION_TABLE)
    engine = create_engine(
        sla_settings.database_url, schema=sla_settings.database_schema, pool_size=2 * PASSES
    )
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def handle(sessions: async_sessionmaker[AsyncSession], event: CloudEvent[EventData]) -> None:
    """Run the deadlines' handler for ``event`` in a transaction of its own, as a consumer
    would; called twice for one event it stands for a redelivery the inbox did not stop
    (another replica took the partition over mid-transaction)."""
    handler = events.handlers(policy=POLICY)[event.type]
    async with transaction(sessions) as session:
        await handler(session=session, event=event)


async def outbox(sessions: async_sessionmaker[AsyncSession]) -> list[CloudEvent[EventData]]:
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxRecord).order_by(OutboxRecord.id))).all()
    return [
        from_kafka(row.key.encode(), row.value, [(n, v.encode()) for n, v in row.headers])
        for row in rows
    ]


async def test_redelivered_facts_and_racing_passes_fire_each_event_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        await agreements.upsert(
            session,
            service_id=SERVICE.id,
            service_slug=SERVICE.slug,
            name=SERVICE.name,
            terms={"terms": {"major": MAJOR}},
            version=1,
        )
    ids = [f"0195f0c2-{n:04x}-7000-8000-000000000000" for n in range(INCIDENTS)]
    # Every incident opened at 08:00 is handled twice at once; half of them also hear of a
    # notice delivered at 08:50 twice at once (first communication met late, update round 1
    # met in time, round 2 running).
    facts: list[CloudEvent[EventData]] = []
    for number, incident_id in enumerate(ids):
        facts += [opened_at(incident(incident_id, version=1, opened="08:00"), "08:00")] * 2
        if number % 2:
            facts += [notice(incident_id, "08:50", notice_id=f"n{number}")] * 2
    await asyncio.gather(*(handle(sessions, event) for event in facts))

    async with sessions() as session:
        rows = (await session.scalars(select(IncidentDeadline))).all()
    told = {incident_id for number, incident_id in enumerate(ids) if number % 2}
    assert len(rows) == INCIDENTS * 4 + len(told)  # ack, first, update 1 (and 2), restore

    # Passes race at 08:16, then at 10:00: each time every replica's scheduler runs at once.
    clock = TestClock("08:16")
    schedulers = [
        DeadlineScheduler(sessions=sessions, policy=POLICY, clock=clock, batch_size=5)
        for _ in range(PASSES)
    ]
    for now in ("08:16", "10:00"):
        clock.set(now)
        await asyncio.gather(*(scheduler.run_once() for scheduler in schedulers))
        await asyncio.gather(*(scheduler.run_once() for scheduler in schedulers))

    published = await outbox(sessions)
    counts = Counter((event.data.deadline.deadline_id, event.type) for event in published)
    assert set(counts.values()) == {1}
    kinds = Counter(
        (deadline_id.split(":", 1)[1], event_type.split(".")[2])
        for deadline_id, event_type in counts
    )
    silent = INCIDENTS - len(told)
    # By hand. At 08:16 every acknowledgement is at risk (08:15). At 10:00:
    # - acknowledge (due 08:20): breached, everywhere;
    # - first communication (due 08:40, update due 08:35): for the silent incidents both;
    #   for those told late at 08:50 the breach only (met late; its warnings never ran out
    #   while it ran: the 10:00 pass came after the notice);
    # - update round 1 (due 09:00, update due 08:55): silent ones update due and breached;
    #   told ones met it at 08:50;
    # - update round 2 of the told ones (08:50 -> due 09:50, update due 09:45): both;
    # - restore (due 12:00, at risk 11:00): nothing yet.
    assert kinds == {
        ("acknowledge:1", "at_risk"): INCIDENTS,
        ("acknowledge:1", "breached"): INCIDENTS,
        ("first_communication:1", "update_due"): silent,
        ("first_communication:1", "breached"): INCIDENTS,
        ("update:1", "update_due"): silent,
        ("update:1", "breached"): silent,
        ("update:2", "update_due"): len(told),
        ("update:2", "breached"): len(told),
    }
    # A late-met breach says when it was met and by how much.
    breach = next(
        e.data
        for e in published
        if e.type == "candor.sla.breached.v1"
        and e.data.deadline.deadline_id.endswith("first_communication:1")
        and e.data.deadline.incident_id in told
    )
    assert (breach.met_at, breach.by) == (at("08:50"), timedelta(minutes=10))
