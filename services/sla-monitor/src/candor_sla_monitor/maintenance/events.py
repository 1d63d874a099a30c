"""The maintenance-topic events sla-monitor handles: every one carries the window's full
state, so one handler serves them all."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

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
from candor_sla_monitor.maintenance import service

log = structlog.get_logger(__name__)

_MaintenanceEvent = (
    MaintenanceScheduled
    | MaintenanceUpdated
    | MaintenanceStarted
    | MaintenanceCompleted
    | MaintenanceCancelled
)


async def on_maintenance_changed(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
    """Keep the window as of its newest version, whatever the change."""
    data = event.data
    if not isinstance(data, _MaintenanceEvent):
        raise TypeError(f"{event.type} carries {type(data).__name__}, not a maintenance event")
    window = data.maintenance
    changed = await service.record_window(session=session, window=window)
    log.info(
        "maintenance.window_recorded",
        maintenance_id=window.id,
        status=window.status,
        services=[ref.slug for ref in window.services],
        version=window.version,
        changed=changed,
    )


def handlers() -> dict[str, Handler]:
    """Handlers by event type, for a consumer of the maintenance topic."""
    return {
        model.event_type: on_maintenance_changed
        for model in (
            MaintenanceScheduled,
            MaintenanceUpdated,
            MaintenanceStarted,
            MaintenanceCompleted,
            MaintenanceCancelled,
        )
    }
