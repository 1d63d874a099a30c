"""The incident-api application: the one front door."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI

from candor_incident_api import catalog, incidents, ingest, integrations, subscribers
from candor_incident_api.bodylimit import BodySizeLimit
from candor_incident_api.catalog.agreements_router import router as agreements_router
from candor_incident_api.catalog.router import router as catalog_router
from candor_incident_api.consumer import create_consumer
from candor_incident_api.deliveries.router import router as deliveries_router
from candor_incident_api.dependencies import AppState
from candor_incident_api.errors import document_problems, install_error_handlers
from candor_incident_api.feedback.router import router as feedback_router
from candor_incident_api.idempotency.middleware import IdempotencyKeys
from candor_incident_api.idempotency.openapi import document_idempotency
from candor_incident_api.incidents.broadcaster import Broadcaster
from candor_incident_api.incidents.router import router as incidents_router
from candor_incident_api.ingest.auth import IntegrationKeys
from candor_incident_api.ingest.guard import RateLimiter
from candor_incident_api.ingest.router import router as ingest_router
from candor_incident_api.ingest.sns import SnsVerifier
from candor_incident_api.ingest.writer import IngestWriter
from candor_incident_api.integrations.router import router as integrations_router
from candor_incident_api.maintenance.router import router as maintenance_router
from candor_incident_api.maintenance.scheduler import MaintenanceScheduler
from candor_incident_api.models import OutboxRecord
from candor_incident_api.operators.auth import OperatorTokens
from candor_incident_api.operators.router import router as operators_router
from candor_incident_api.perception.router import router as perception_router
from candor_incident_api.postmortems.router import router as postmortems_router
from candor_incident_api.postmortems.scheduler import ReportScheduler
from candor_incident_api.reports.router import router as reports_router
from candor_incident_api.routing.router import router as routing_router
from candor_incident_api.routing.table import RoutingTable
from candor_incident_api.selfservice.router import router as selfservice_router
from candor_incident_api.settings import ApiSettings
from candor_incident_api.status.router import router as status_router
from candor_incident_api.subscribers.groups_router import router as groups_router
from candor_incident_api.subscribers.router import router as subscribers_router
from candor_incident_api.unsubscribe.router import router as unsubscribe_router
from candor_shared.contract import Topics
from candor_shared.db import create_engine, session_factory
from candor_shared.kafka import OutboxRelay, new_producer
from candor_shared.kafka.admin import ensure_topics
from candor_shared.observability import health_router
from candor_shared.runtime import database_check, migrate

log = structlog.get_logger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_incident_api"

DESCRIPTION = """
Candor's front door. Monitoring tools post alerts to `/v1/ingest/...` with their
integration key; operators manage the catalog, subscribers and integrations and follow
incidents with an operator token (`Authorization: Bearer <token>`): `CANDOR_ADMIN_TOKEN`, or
one issued by `POST /v1/tokens` with a role (viewer reads; operator also runs incidents and
maintenance; admin also manages the catalog, integrations, subscribers and tokens).
Every POST except ingest accepts an `Idempotency-Key` header, to be retried safely.

Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details whose
`detail` says what was wrong and what to send instead.
"""

TAGS = [
    {"name": "ingest", "description": "Alerts from monitoring tools (integration key)."},
    {"name": "incidents", "description": "Incidents opened from alerts."},
    {
        "name": "post-incident reports",
        "description": "What happened, why, what was done and what will be: written by "
        "operators, sent to the affected users.",
    },
    {"name": "catalog", "description": "The services users depend on."},
    {"name": "subscribers", "description": "Who is told about which services."},
    {"name": "integrations", "description": "Monitoring sources and their keys."},
    {"name": "maintenance", "description": "Planned work, announced ahead."},
    {"name": "operators", "description": "Operator tokens and their roles (admins)."},
    {"name": "routing", "description": "Routing rules, and alerts nothing could place."},
    {
        "name": "reports",
        "description": "Monthly reports of each service against its agreement, and the "
        "perception gap: those facts beside what users said.",
    },
    {"name": "status", "description": "The public status page and its feeds (no login)."},
    {"name": "operations", "description": "Health, readiness and metrics."},
]

__all__ = ["catalog", "create_app", "incidents", "ingest", "integrations", "subscribers"]


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """Build the app; clients are created in the lifespan, once."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.env == "development":
            await migrate(settings, script_location=MIGRATIONS, version_table=VERSION_TABLE)
        engine = create_engine(
            settings.database_url,
            schema=settings.database_schema,
            pool_size=settings.database_pool_size,
        )
        sessions = session_factory(engine)
        topics = Topics(settings.kafka_topic_prefix)
        relay = OutboxRelay(
            engine=engine,
            sessions=sessions,
            model=OutboxRecord,
            producer_factory=lambda: new_producer(settings, client_id="incident-api"),
            topics=topics,
            lock_name=f"candor-outbox-{settings.database_schema}",
            poll_seconds=settings.outbox_poll_seconds,
            batch_size=settings.outbox_batch_size,
            prepare=lambda: ensure_topics(
                settings,
                [topics.incident, topics.catalog, topics.maintenance, topics.sla],
                partitions=settings.kafka_partitions,
            ),
        )
        routing = RoutingTable(sessions)
        writer = IngestWriter(sessions=sessions, relay=relay, routing=routing)
        app.state.candor = AppState(
            settings=settings, engine=engine, sessions=sessions, relay=relay
        )
        app.state.integration_keys = IntegrationKeys(sessions)
        app.state.operator_tokens = OperatorTokens(sessions)
        app.state.ingest_writer = writer
        app.state.routing_table = routing
        broadcaster = Broadcaster(sessions=sessions, relay=relay)
        app.state.broadcaster = broadcaster
        app.state.database_ready = database_check(engine)
        app.state.maintenance_scheduler = MaintenanceScheduler(
            sessions=sessions,
            relay=relay,
            poll_seconds=settings.maintenance_poll_seconds,
            wake_broadcaster=broadcaster.wake,
        )
        reports = ReportScheduler(
            sessions=sessions,
            auto_after=settings.report_auto_after,
            relay=relay,
            poll_seconds=settings.report_auto_poll_seconds,
        )
        # What the workers publish (reports) comes back through one consumer group.
        consumer = create_consumer(settings, sessions)
        tasks = [
            asyncio.create_task(relay.run(), name="outbox-relay"),
            consumer_task := asyncio.create_task(consumer.run(), name="sla-consumer"),
            asyncio.create_task(writer.run(), name="ingest-writer"),
            asyncio.create_task(app.state.maintenance_scheduler.run(), name="maintenance"),
            asyncio.create_task(broadcaster.run(), name="incident-broadcaster"),
        ]
        if settings.report_auto_after:
            tasks.append(asyncio.create_task(reports.run(), name="automatic-reports"))
        log.info("api.started", port=settings.api_port)
        try:
            yield
        finally:
            # Let the consumer commit what it holds; what it cannot is handled again later.
            consumer.stop()
            await asyncio.wait([consumer_task], timeout=5)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await engine.dispose()

    app = FastAPI(
        title="Candor incident-api",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )

    async def database_ready() -> bool:
        check = app.state.database_ready
        return bool(await check())

    app.state.ingest_limits = RateLimiter(default_per_minute=settings.ingest_rate_limit_per_minute)
    app.state.sns = SnsVerifier(host_pattern=settings.sns_cert_host_pattern)
    app.add_middleware(IdempotencyKeys, ttl_hours=settings.idempotency_ttl_hours)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    document_idempotency(app)
    document_problems(app)
    app.include_router(ingest_router)
    app.include_router(incidents_router)
    app.include_router(postmortems_router)
    app.include_router(catalog_router)
    app.include_router(agreements_router)
    app.include_router(subscribers_router)
    app.include_router(groups_router)
    app.include_router(integrations_router)
    app.include_router(maintenance_router)
    app.include_router(routing_router)
    app.include_router(operators_router)
    app.include_router(reports_router)
    app.include_router(perception_router)
    app.include_router(status_router)
    app.include_router(unsubscribe_router)
    app.include_router(selfservice_router)
    app.include_router(feedback_router)
    app.include_router(deliveries_router)
    app.include_router(health_router({"database": database_ready}))
    return app
