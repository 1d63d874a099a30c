"""Events about planned maintenance, on the maintenance topic (key = window id).

Every event carries the window's full state; ``announced_at`` tells how much notice users
had, which the sla-monitor holds against the agreed maintenance notice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from candor_shared.contract import topics
from candor_shared.contract.envelope import EventData
from candor_shared.contract.incidents import Impact, ServiceRef

MaintenanceStatus = Literal["scheduled", "in_progress", "completed", "cancelled"]


class MaintenanceSnapshot(BaseModel):
    """A maintenance window right after the change an event reports."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    version: int = Field(ge=1)
    title: str
    description: str = ""
    status: MaintenanceStatus
    impact: Impact
    services: list[ServiceRef]
    starts_at: datetime
    ends_at: datetime
    announced_at: datetime = Field(description="When users could first learn of it.")
    started_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None


class MaintenanceScheduled(EventData):
    """A window was planned (and announced)."""

    event_type = "candor.maintenance.scheduled.v1"
    topic = topics.MAINTENANCE

    maintenance: MaintenanceSnapshot


class MaintenanceUpdated(EventData):
    """A scheduled window's times, services or wording changed."""

    event_type = "candor.maintenance.updated.v1"
    topic = topics.MAINTENANCE

    maintenance: MaintenanceSnapshot


class MaintenanceStarted(EventData):
    """A window began (at its start time, or when an operator started it)."""

    event_type = "candor.maintenance.started.v1"
    topic = topics.MAINTENANCE

    maintenance: MaintenanceSnapshot


class MaintenanceCompleted(EventData):
    """A window ended."""

    event_type = "candor.maintenance.completed.v1"
    topic = topics.MAINTENANCE

    maintenance: MaintenanceSnapshot


class MaintenanceCancelled(EventData):
    """A window was called off."""

    event_type = "candor.maintenance.cancelled.v1"
    topic = topics.MAINTENANCE

    maintenance: MaintenanceSnapshot
