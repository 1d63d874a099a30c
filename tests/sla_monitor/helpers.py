"""Helpers shared by sla-monitor tests: events onto the broker, rows out of the ledger."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.clock import Clock, utcnow
from candor_shared.contract import (
    AlertFired,
    AlertResolved,
    CloudEvent,
    EventData,
    IncidentOpened,
    IncidentResolved,
    IncidentSnapshot,
    ServiceRef,
    Topics,
    new_event,
    to_kafka,
)
from candor_shared.db import create_engine, session_factory
from candor_shared.kafka import new_producer
from candor_shared.runtime import migrate
from candor_shared.worker import Worker
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.ledger import repository as ledger
from candor_sla_monitor.ledger.models import AlertInterval, Outage
from candor_sla_monitor.models import InboxRecord
from candor_sla_monitor.worker import MIGRATIONS, VERSION_TABLE, consumer_group, create_worker
from tests.conftest import eventually

SERVICE = ServiceRef(id="0195f0c2-0000-7000-8000-000000000001", slug="email", name="Email")


def at(text: str) -> datetime:
    """An aware UTC datetime from ``HH:MM`` on 2 March 2026, or from a full ISO 8601 string."""
    if len(text) == 5:
        text = f"2026-03-02T{text}:00+00:00"
    return datetime.fromisoformat(text).astimezone(UTC)


def snapshot(
    incident_id: str,
    *,
    version: int,
    started: str,
    ended: str | None = None,
    impact: str = "major",
    service: ServiceRef = SERVICE,
) -> IncidentSnapshot:
    """An incident as its events carry it; resolved when ``ended`` is given."""
    return IncidentSnapshot.model_validate(
        {
            "id": incident_id,
            "version": version,
            "service": service,
            "status": "resolved" if ended else "investigating",
            "impact": impact,
            "title": "Outgoing mail is not being delivered",
            "started_at": at(started),
            "opened_at": at(started),
            "resolved_at": at(ended) if ended else None,
            "firing_alerts": 0 if ended else 1,
        }
    )


def opened(incident: IncidentSnapshot) -> CloudEvent[EventData]:
    """An IncidentOpened event, keyed by the incident id as incident-api keys it."""
    return new_event(IncidentOpened(incident=incident), source="/tests", key=incident.id)


def resolved(incident: IncidentSnapshot) -> CloudEvent[EventData]:
    """An IncidentResolved event, keyed by the incident id."""
    return new_event(IncidentResolved(incident=incident), source="/tests", key=incident.id)


def alert_fired(
    incident_id: str, *, starts: str, fingerprint: str = "a1", service_slug: str = "email"
) -> CloudEvent[EventData]:
    """An AlertFired event of an Alertmanager alert."""
    data = AlertFired(
        incident_id=incident_id,
        service_slug=service_slug,
        source="alertmanager",
        fingerprint=fingerprint,
        summary="Outgoing mail is not being delivered",
        severity="critical",
        starts_at=at(starts),
    )
    return new_event(data, source="/tests", key=incident_id)


def alert_resolved(
    incident_id: str,
    *,
    starts: str,
    ends: str,
    fingerprint: str = "a1",
    service_slug: str = "email",
) -> CloudEvent[EventData]:
    """An AlertResolved event of an Alertmanager alert."""
    data = AlertResolved(
        incident_id=incident_id,
        service_slug=service_slug,
        source="alertmanager",
        fingerprint=fingerprint,
        starts_at=at(starts),
        ends_at=at(ends),
    )
    return new_event(data, source="/tests", key=incident_id)


async def publish(worker: Worker, *events: CloudEvent[Any]) -> None:
    """Send ``events`` to the incident topic in order, once the worker's consumer has joined.

    Waiting for the consumer means the worker created the topic, with its partitions, before
    the first send could auto-create it.
    """
    await eventually(lambda: consumers_joined(worker), timeout=30)
    settings = worker.settings
    producer = new_producer(settings, client_id="tests")
    await producer.start()
    try:
        topic = Topics(settings.kafka_topic_prefix).incident
        for event in events:
            key, value, headers = to_kafka(event)
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


def consumers_joined(worker: Worker) -> bool:
    """True once every consumer of the worker has joined its group."""
    return worker.parts is not None and all(c.connected for c in worker.parts.consumers)


def sessions_of(worker: Worker) -> Any:
    """The worker's session factory, to read its tables."""
    assert worker.sessions is not None
    return worker.sessions


async def outages(worker: Worker) -> list[Outage]:
    """Every outage row, oldest first."""
    async with sessions_of(worker)() as session:
        rows = await session.scalars(select(Outage).order_by(Outage.started_at))
        return list(rows)


async def alert_intervals(worker: Worker) -> list[AlertInterval]:
    """Every alert interval row, oldest first."""
    async with sessions_of(worker)() as session:
        rows = await session.scalars(
            select(AlertInterval).order_by(AlertInterval.starts_at, AlertInterval.fingerprint)
        )
        return list(rows)


async def handled_count(worker: Worker) -> int:
    """How many events the ledger consumer has committed (its inbox rows)."""
    async with sessions_of(worker)() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(InboxRecord)
            .where(InboxRecord.consumer == consumer_group(worker.settings))
        )
        return int(count or 0)


async def wait_handled(worker: Worker, count: int) -> None:
    """Wait until the ledger consumer has committed ``count`` events."""
    await eventually(lambda: _at_least(worker, count))


async def _at_least(worker: Worker, count: int) -> bool:
    return await handled_count(worker) >= count


def duplicates_skipped(worker: Worker) -> float:
    """How many events the ledger consumer skipped as already handled, in this process."""
    value = REGISTRY.get_sample_value(
        "candor_events_duplicate_total", {"consumer": consumer_group(worker.settings)}
    )
    return value or 0.0


@contextlib.asynccontextmanager
async def serving_worker(settings: Any, *, clock: Clock = utcnow) -> AsyncIterator[Worker]:
    """sla-monitor with its HTTP port open, telling the time by ``clock``; stopped after."""
    worker = create_worker(settings, serve_http=True, clock=clock)
    task = asyncio.create_task(worker.run())
    await eventually(lambda: worker.ready.is_set() or task.done(), timeout=30)
    if task.done():
        task.result()
    try:
        await eventually(lambda: _answers(settings.sla_monitor_port))
        yield worker
    finally:
        worker.stop()
        await asyncio.wait_for(task, timeout=30)


async def _answers(port: int) -> bool:
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            return (await client.get("/healthz")).status_code == 200
    except httpx.TransportError:
        return False


@contextlib.asynccontextmanager
async def migrated_sessions(
    settings: Any, **engine_options: Any
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on sla-monitor's database, its schema migrated, no worker running: for tests
    that call a service function straight (``engine_options``: e.g. a larger pool)."""
    await migrate(settings, script_location=MIGRATIONS, version_table=VERSION_TABLE)
    engine = create_engine(settings.database_url, schema=settings.database_schema, **engine_options)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def store_agreement(
    session: AsyncSession, terms: dict[str, Any], *, service: ServiceRef = SERVICE, **more: Any
) -> None:
    """``service``'s agreement (version 1) stored as the catalog handler would."""
    await agreements.upsert(
        session,
        service_id=service.id,
        service_slug=service.slug,
        name=service.name,
        terms=terms,
        version=1,
        **more,
    )


async def store_open_outage(session: AsyncSession, incident_id: str, *, since: str) -> None:
    """A major outage of Email, open since ``since`` (as :func:`at` reads it), in the ledger."""
    await ledger.upsert_outage(
        session,
        incident_id=incident_id,
        service_id=SERVICE.id,
        service_slug=SERVICE.slug,
        impact="major",
        started_at=at(since),
        opened_at=at(since),
        ended_at=None,
        version=1,
    )
