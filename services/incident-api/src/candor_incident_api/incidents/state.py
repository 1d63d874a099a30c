"""Plain working copies of incident and alert rows for the ingest hot path.

The ingest writer reads rows as tuples, changes these copies in memory and writes the
changes back with one bulk statement per kind: the ORM's unit of work costs more per
alert than everything else on the path put together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class IncidentState:
    """An incident being changed by ingest; same attribute names as the table."""

    id: uuid.UUID
    service_id: uuid.UUID
    open_service_id: uuid.UUID | None
    status: str
    impact: str
    title: str
    summary: str
    started_at: datetime
    opened_at: datetime
    resolved_at: datetime | None
    firing_alerts: int
    version: int
    updated_at: datetime
    component_id: uuid.UUID | None = None
    opened_by: str = "alert"
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    public_message: str = ""
    next_update_at: datetime | None = None
    reopened: int = 0
    notify_at: datetime | None = None
    broadcast: bool = True
    is_new: bool = False
    dirty: bool = False


@dataclass(slots=True)
class AlertState:
    """An alert being changed by ingest; same attribute names as the table."""

    id: uuid.UUID
    service_id: uuid.UUID
    incident_id: uuid.UUID
    integration_id: uuid.UUID | None
    source: str
    fingerprint: str
    status: str
    severity: str
    summary: str
    starts_at: datetime
    ends_at: datetime | None
    first_received_at: datetime
    last_received_at: datetime
    labels: dict[str, str] = field(default_factory=dict)
    component_id: uuid.UUID | None = None
    received: int = 1
    is_new: bool = False
    dirty: bool = False


INCIDENT_COLUMNS = tuple(
    name for name in IncidentState.__dataclass_fields__ if name not in ("is_new", "dirty")
)
ALERT_COLUMNS = tuple(
    name for name in AlertState.__dataclass_fields__ if name not in ("is_new", "dirty")
)


def as_row(state: IncidentState | AlertState, columns: tuple[str, ...]) -> dict[str, object]:
    """The column values of a working copy, for a bulk statement."""
    return {name: getattr(state, name) for name in columns}
