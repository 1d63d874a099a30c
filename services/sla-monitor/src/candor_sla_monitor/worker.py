"""sla-monitor's worker: the ledger and agreements consumer, and the ledger and facts
endpoints on its own port."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from candor_shared.clock import Clock, utcnow
from candor_shared.contract import Topics
from candor_shared.kafka import ConsumerLoop, OutboxRelay, new_producer
from candor_shared.kafka.admin import ensure_topics
from candor_shared.worker import Worker, WorkerParts
from candor_sla_monitor.agreements import events as agreement_events
from candor_sla_monitor.budget import service as budget
from candor_sla_monitor.budget.router import create_router as budget_router
from candor_sla_monitor.deadlines import events as deadline_events
from candor_sla_monitor.deadlines.router import create_router as deadlines_router
from candor_sla_monitor.deadlines.scheduler import DeadlineScheduler
from candor_sla_monitor.deadlines.service import DeadlinePolicy
from candor_sla_monitor.ledger import events as ledger_events
from candor_sla_monitor.ledger.facts_router import create_router as facts_router
from candor_sla_monitor.ledger.router import create_router as ledger_router
from candor_sla_monitor.maintenance import events as maintenance_events
from candor_sla_monitor.models import InboxRecord, OutboxRecord
from candor_sla_monitor.perception import events as perception_events
from candor_sla_monitor.perception.router import create_router as perception_router
from candor_sla_monitor.reports import events as report_events
from candor_sla_monitor.reports.schedule import MonthlyReports
from candor_sla_monitor.settings import SlaSettings

SERVICE = "sla-monitor"
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_sla_monitor"
CONSUMER_GROUP = "candor-sla-monitor"
REPORTS_GROUP = "candor-sla-monitor-reports"


def consumer_group(settings: SlaSettings) -> str:
    """The ledger's consumer group, prefixed like the topics so installations never share it."""
    return f"{settings.kafka_topic_prefix}{CONSUMER_GROUP}"


def create_worker(
    settings: SlaSettings, *, serve_http: bool = True, clock: Clock = utcnow
) -> Worker:
    """sla-monitor's worker, ready to ``run()``; ``clock`` tells the ledger endpoint the time."""

    def build(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> WorkerParts:
        topics = Topics(settings.kafka_topic_prefix)
        policy = DeadlinePolicy(
            update_lead=timedelta(seconds=settings.deadline_update_lead_seconds),
            at_risk_share=settings.deadline_at_risk_share,
        )
        deadlines = DeadlineScheduler(
            sessions=sessions,
            policy=policy,
            on_fired=lambda: relay.wake(),
            clock=clock,
            poll_seconds=settings.deadline_poll_seconds,
        )
        ledger = ConsumerLoop(
            name=consumer_group(settings),
            # The catalog topic brings the agreements; its other events are skipped. The
            # maintenance topic brings the windows that availability excludes.
            # The delivery topic brings the notices users received (deadlines count them).
            topics=[topics.incident, topics.catalog, topics.maintenance, topics.delivery],
            settings=settings,
            sessions=sessions,
            inbox=InboxRecord,
            handlers=deadline_events.chain(
                {
                    **ledger_events.handlers(),
                    **agreement_events.handlers(),
                    **maintenance_events.handlers(),
                    **perception_events.ledger_handlers(),
                },
                deadline_events.handlers(policy=policy, on_scheduled=deadlines.expect),
            ),
            after_commit=deadlines.committed,
        )
        # What sla-monitor concludes (deadlines, burn-rate alerts, reports) leaves through
        # its own outbox, written in the transaction that reached the conclusion.
        relay = OutboxRelay(
            engine=engine,
            sessions=sessions,
            model=OutboxRecord,
            producer_factory=lambda: new_producer(settings, client_id=SERVICE),
            topics=topics,
            lock_name=f"candor-outbox-{settings.database_schema}",
            poll_seconds=settings.outbox_poll_seconds,
            batch_size=settings.outbox_batch_size,
            prepare=lambda: ensure_topics(
                settings, [topics.sla], partitions=settings.kafka_partitions
            ),
        )

        async def evaluate_budgets() -> None:
            await budget.run_evaluations(
                sessions=sessions,
                clock=clock,
                interval_seconds=settings.budget_evaluation_seconds,
                at_risk_share=settings.budget_at_risk_share,
                on_published=relay.wake,
            )

        # Report requests come on the SLA topic, which carries sla-monitor's own output too:
        # a group of its own, so that building a month's report never holds up the ledger
        # (nor a burst of alerts a report), and the ledger never reads the SLA topic.
        reports = ConsumerLoop(
            name=f"{settings.kafka_topic_prefix}{REPORTS_GROUP}",
            topics=[topics.sla],
            settings=settings,
            sessions=sessions,
            inbox=InboxRecord,
            handlers={
                **report_events.handlers(clock=clock),
                **perception_events.report_handlers(clock=clock),
            },
            after_commit=lambda _event: relay.wake(),
        )
        monthly = MonthlyReports(
            sessions=sessions,
            clock=clock,
            poll_seconds=settings.report_poll_seconds,
            final_delay=timedelta(seconds=settings.report_final_delay_seconds),
            on_published=relay.wake,
        )
        return WorkerParts(
            consumers=[ledger, reports],
            tasks=[relay.run, evaluate_budgets, monthly.run, deadlines.run],
            on_stop=[monthly.stop],
            routers=[
                ledger_router(sessions=sessions, clock=clock),
                facts_router(sessions=sessions, clock=clock),
                budget_router(
                    sessions=sessions, at_risk_share=settings.budget_at_risk_share, clock=clock
                ),
                deadlines_router(sessions=sessions, clock=clock),
                perception_router(sessions=sessions, clock=clock),
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
