"""sla-monitor's worker: the ledger and agreements consumer, and the ledger and facts
endpoints on its own port."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from candor_shared.clock import Clock, utcnow
from candor_shared.contract import Topics
from candor_shared.kafka import ConsumerLoop
from candor_shared.worker import Worker, WorkerParts
from candor_sla_monitor.agreements import events as agreement_events
from candor_sla_monitor.ledger import events as ledger_events
from candor_sla_monitor.ledger.facts_router import create_router as facts_router
from candor_sla_monitor.ledger.router import create_router as ledger_router
from candor_sla_monitor.models import InboxRecord
from candor_sla_monitor.settings import SlaSettings

SERVICE = "sla-monitor"
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_sla_monitor"
CONSUMER_GROUP = "candor-sla-monitor"


def consumer_group(settings: SlaSettings) -> str:
    """The ledger's consumer group, prefixed like the topics so installations never share it."""
    return f"{settings.kafka_topic_prefix}{CONSUMER_GROUP}"


def create_worker(
    settings: SlaSettings, *, serve_http: bool = True, clock: Clock = utcnow
) -> Worker:
    """sla-monitor's worker, ready to ``run()``; ``clock`` tells the ledger endpoint the time."""

    def build(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> WorkerParts:
        topics = Topics(settings.kafka_topic_prefix)
        ledger = ConsumerLoop(
            name=consumer_group(settings),
            # The catalog topic brings the agreements; its other events are skipped.
            topics=[topics.incident, topics.catalog],
            settings=settings,
            sessions=sessions,
            inbox=InboxRecord,
            handlers={**ledger_events.handlers(), **agreement_events.handlers()},
        )
        return WorkerParts(
            consumers=[ledger],
            routers=[
                ledger_router(sessions=sessions, clock=clock),
                facts_router(sessions=sessions, clock=clock),
            ],
        )

    return Worker(
        service=SERVICE,
        settings=settings,
        migrations=MIGRATIONS,
        version_table=VERSION_TABLE,
        host=settings.sla_monitor_host,
        port=settings.sla_monitor_port,
        build=build,
        serve_http=serve_http,
    )
