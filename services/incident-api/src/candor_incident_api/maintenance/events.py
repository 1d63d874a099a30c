"""What maintenance windows publish: the full snapshot with every change (key = window id)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.maintenance.models import MaintenanceWindow
from candor_incident_api.outbox import publish
from candor_shared.contract import ServiceRef
from candor_shared.contract.maintenance import (
    MaintenanceCancelled,
    MaintenanceCompleted,
    MaintenanceScheduled,
    MaintenanceSnapshot,
    MaintenanceStarted,
    MaintenanceUpdated,
)

WindowEvent = (
    type[MaintenanceScheduled]
    | type[MaintenanceUpdated]
    | type[MaintenanceStarted]
    | type[MaintenanceCompleted]
    | type[MaintenanceCancelled]
)


def snapshot(window: MaintenanceWindow, services: Sequence[Service]) -> MaintenanceSnapshot:
    """The window as events carry it."""
    return MaintenanceSnapshot.model_validate(
        {
            "id": str(window.id),
            "version": window.version,
            "title": window.title,
            "description": window.description,
            "status": window.status,
            "impact": window.impact,
            "services": [
                ServiceRef(id=str(service.id), slug=service.slug, name=service.name)
                for service in services
            ],
            "starts_at": window.starts_at,
            "ends_at": window.ends_at,
            "announced_at": window.announced_at,
            "started_at": window.started_at,
            "completed_at": window.completed_at,
            "cancelled_at": window.cancelled_at,
        }
    )


def publish_window(
    session: AsyncSession,
    event: WindowEvent,
    window: MaintenanceWindow,
    services: Sequence[Service],
) -> None:
    """Stage ``event`` with the window's state right after the change, in this transaction."""
    publish(
        session,
        event(maintenance=snapshot(window, services)),
        key=str(window.id),
        subject=",".join(service.slug for service in services)[:500] or None,
    )
