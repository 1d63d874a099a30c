"""Events about incidents and the alerts that open them, on the incident topic.

The record key is the incident id, so the events of one incident stay in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from candor_shared.contract import topics
from candor_shared.contract.envelope import EventData

IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
Impact = Literal["none", "minor", "major", "critical"]


class ServiceRef(BaseModel):
    """A service as users know it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    slug: str
    name: str


class IncidentSnapshot(BaseModel):
    """The state of an incident right after the change an event reports.

    ``version`` grows by one with every change, so a consumer can tell a stale event from
    a newer one even if two arrive out of order.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    version: int = Field(ge=1)
    service: ServiceRef
    status: IncidentStatus
    impact: Impact
    title: str
    summary: str = ""
    started_at: datetime = Field(description="When the trouble began, as monitoring saw it.")
    opened_at: datetime = Field(description="When Candor opened the incident.")
    resolved_at: datetime | None = Field(
        default=None, description="When the trouble ended, as monitoring (or an operator) saw it."
    )
    firing_alerts: int = Field(ge=0)


class IncidentOpened(EventData):
    """A new incident was opened (by an alert or an operator)."""

    event_type = "candor.incident.opened.v1"
    topic = topics.INCIDENT

    incident: IncidentSnapshot
    opened_by: Literal["alert", "operator"] = "alert"


class IncidentResolved(EventData):
    """An incident was resolved: its last alert cleared, or an operator resolved it."""

    event_type = "candor.incident.resolved.v1"
    topic = topics.INCIDENT

    incident: IncidentSnapshot
    resolved_by: Literal["alert", "operator"] = "alert"


class AlertFired(EventData):
    """A monitoring alert started firing (or fired again after clearing)."""

    event_type = "candor.alert.fired.v1"
    topic = topics.INCIDENT

    incident_id: str
    service_slug: str
    source: str
    fingerprint: str
    summary: str
    severity: str = ""
    starts_at: datetime
    labels: dict[str, str] = {}


class AlertResolved(EventData):
    """A monitoring alert cleared."""

    event_type = "candor.alert.resolved.v1"
    topic = topics.INCIDENT

    incident_id: str
    service_slug: str
    source: str
    fingerprint: str
    starts_at: datetime
    ends_at: datetime
