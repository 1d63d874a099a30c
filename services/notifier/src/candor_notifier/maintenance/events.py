"""The maintenance events the notifier handles: each newer version of a window becomes a
notice to the followers of its services."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.mail.maintenance import MaintenanceKind
from candor_notifier.maintenance import service
from candor_shared.clock import Clock, utcnow
from candor_shared.contract import (
    CloudEvent,
    EventData,
    MaintenanceCancelled,
    MaintenanceCompleted,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceUpdated,
)
from candor_shared.kafka import Handler

log = structlog.get_logger(__name__)

KINDS: dict[str, MaintenanceKind] = {
    MaintenanceScheduled.event_type: "mnt_scheduled",
    MaintenanceUpdated.event_type: "mnt_updated",
    MaintenanceStarted.event_type: "mnt_started",
    MaintenanceCompleted.event_type: "mnt_completed",
    MaintenanceCancelled.event_type: "mnt_cancelled",
}
"""The notice kind of each maintenance event."""


def handlers(
    *, message_domain: str, reminder_lead: timedelta | None, clock: Clock = utcnow
) -> dict[str, Handler]:
    """Handlers of the maintenance topic, by event type; ``clock`` stamps the notices."""

    async def on_change(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(
            data,
            MaintenanceScheduled
            | MaintenanceUpdated
            | MaintenanceStarted
            | MaintenanceCompleted
            | MaintenanceCancelled,
        )
        kind = KINDS[event.type]
        with structlog.contextvars.bound_contextvars(maintenance_id=data.maintenance.id):
            told = await service.record_change(
                session=session,
                event_id=event.id,
                kind=kind,
                maintenance=data.maintenance,
                reminder_lead=reminder_lead,
                message_domain=message_domain,
                now=clock(),
            )
            if told is None:
                log.info("maintenance.stale_event_ignored", version=data.maintenance.version)
            else:
                log.info("maintenance.notice_planned", kind=kind, recipients=told)

    return dict.fromkeys(KINDS, on_change)
