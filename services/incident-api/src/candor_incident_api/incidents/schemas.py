"""What operators receive about incidents."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AlertOut(BaseModel):
    """One alert of an incident."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source: str
    fingerprint: str
    status: str
    severity: str
    summary: str
    labels: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None


class IncidentOut(BaseModel):
    """An incident, as listed."""

    id: uuid.UUID
    service: str
    service_name: str
    status: str
    impact: str
    title: str
    summary: str
    started_at: datetime
    opened_at: datetime
    resolved_at: datetime | None
    firing_alerts: int
    version: int


class IncidentDetail(IncidentOut):
    """An incident with its alerts."""

    alerts: list[AlertOut]
