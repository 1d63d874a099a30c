"""What the public status page says, as JSON (``/status/summary.json``) and to its templates.

Only what users may read: service names, incident titles and public messages, status,
impact wording and times. Never internal notes, alert labels, integrations or operators.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ServiceCondition = Literal["operational", "minor", "major", "critical"]
PublicImpact = Literal["none", "minor", "major", "critical"]

_SUMMARY_EXAMPLE: dict[str, Any] = {
    "generated_at": "2026-11-23T10:15:00Z",
    "status": "major",
    "services": [
        {
            "slug": "email",
            "name": "Email",
            "status": "major",
            "wording": "You may not be able to send email.",
            "under_maintenance": False,
            "uptime_90d_percent": 99.91,
            "uptime_90d": [
                {"day": "2026-08-26", "percent": None, "downtime_seconds": None},
                {"day": "2026-11-22", "percent": 99.3, "downtime_seconds": 600},
                {"day": "2026-11-23", "percent": 96.59, "downtime_seconds": 1260},
            ],
        },
        {
            "slug": "payroll",
            "name": "Payroll",
            "status": "operational",
            "wording": "",
            "under_maintenance": False,
            "uptime_90d_percent": 100.0,
            "uptime_90d": [
                {"day": "2026-11-22", "percent": 100.0, "downtime_seconds": 0},
                {"day": "2026-11-23", "percent": 100.0, "downtime_seconds": 0},
            ],
        },
    ],
    "incidents": [
        {
            "id": "01a207cd-858c-71ec-908f-d495eba38c5a",
            "title": "Email cannot be sent",
            "status": "identified",
            "impact": "major",
            "started_at": "2026-11-23T09:58:00Z",
            "updated_at": "2026-11-23T10:10:00Z",
            "public_message": "A full disk stops outgoing mail; we are freeing space.",
            "next_update_at": "2026-11-23T10:40:00Z",
            "services": [
                {
                    "slug": "email",
                    "name": "Email",
                    "impact": "major",
                    "wording": "You may not be able to send email.",
                    "via": None,
                }
            ],
        }
    ],
    "maintenance": [
        {
            "id": "01a207cd-9d3b-7a1e-8f0c-3e5b2a7d9c11",
            "title": "Mail server upgrade",
            "description": "Webmail will not connect meanwhile.",
            "status": "scheduled",
            "impact": "major",
            "starts_at": "2026-12-05T19:00:00Z",
            "ends_at": "2026-12-05T21:00:00Z",
            "services": [{"slug": "email", "name": "Email"}],
        }
    ],
    "past_incidents": [
        {
            "id": "01a1f3b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
            "title": "Payroll was slow",
            "impact": "minor",
            "started_at": "2026-11-20T08:00:00Z",
            "resolved_at": "2026-11-20T08:45:00Z",
            "duration_seconds": 2700,
            "summary": "A report job slowed the database; it now runs at night.",
            "services": [{"slug": "payroll", "name": "Payroll"}],
            "report_url": None,
        }
    ],
}


class ServiceRef(BaseModel):
    """A service by the name users know it."""

    slug: str = Field(description="The service's identifier.", examples=["email"])
    name: str = Field(description="The service's name.", examples=["Email"])


class UptimeDay(BaseModel):
    """One UTC day of a service's measured availability."""

    day: date = Field(description="The day, in UTC.", examples=["2026-11-22"])
    percent: float | None = Field(
        ge=0,
        le=100,
        description="Share of the day not covered by any of the service's alerts, in "
        "percent, rounded down to hundredths (today: of the part elapsed so far). Null: no "
        "data (the service was not known yet).",
        examples=[99.3],
    )
    downtime_seconds: int | None = Field(
        ge=0,
        description="Seconds of the day covered by at least one alert (overlaps once); "
        "null: no data.",
        examples=[600],
    )


class ServiceStatus(ServiceRef):
    """A service and how it is doing now."""

    status: ServiceCondition = Field(
        description="The worst impact it feels from the open incidents users were told of, "
        "on its own or through a service it depends on; `operational` when none."
    )
    wording: str = Field(
        description="What that status means for users, in the service's own words.",
        examples=["You may not be able to send email."],
    )
    under_maintenance: bool = Field(description="A maintenance window on it is in progress.")
    uptime_90d_percent: float | None = Field(
        ge=0,
        le=100,
        description="Measured availability over the days of `uptime_90d` that have data; "
        "null when none has.",
    )
    uptime_90d: list[UptimeDay] = Field(
        description="Measured availability of each of the last 90 UTC days, oldest first, "
        "today last, from the service's monitoring alerts (those of an incident held back "
        "from users count once it is announced or over)."
    )


class AffectedService(ServiceRef):
    """A service an incident affects, and how."""

    impact: PublicImpact = Field(description="How badly it is affected.")
    wording: str = Field(description="What that means for users, in the service's words.")
    via: str | None = Field(
        description="Slug of the service through which it is affected (a dependency); "
        "null for the incident's own service."
    )


class CurrentIncident(BaseModel):
    """An open incident users were told of, with its latest public message."""

    id: uuid.UUID
    title: str
    status: str = Field(description="investigating, identified or monitoring.")
    impact: PublicImpact = Field(description="Impact on the incident's own service.")
    started_at: datetime = Field(description="When the trouble started (UTC).")
    updated_at: datetime = Field(description="When users last heard of it (UTC).")
    public_message: str = Field(description="The latest message to users.")
    next_update_at: datetime | None = Field(description="When the next update is due (UTC).")
    services: list[AffectedService] = Field(description="Affected services, its own first.")


class PublicMaintenance(BaseModel):
    """A maintenance window that is scheduled or in progress."""

    id: uuid.UUID
    title: str
    description: str
    status: Literal["scheduled", "in_progress"]
    impact: PublicImpact
    starts_at: datetime = Field(description="Planned start (UTC).")
    ends_at: datetime = Field(description="Planned end (UTC).")
    services: list[ServiceRef]


class PastIncident(BaseModel):
    """An incident of the last 30 days that is over."""

    id: uuid.UUID
    title: str
    impact: PublicImpact
    started_at: datetime
    resolved_at: datetime
    duration_seconds: int = Field(ge=0, description="From start to resolution.")
    summary: str = Field(description="What happened, in users' words.")
    services: list[ServiceRef] = Field(description="Affected services, its own first.")
    report_url: str | None = Field(
        default=None,
        description="Where to read the incident's report for users; null while none is published.",
    )


class StatusSummary(BaseModel):
    """Everything the status page shows, for embedding in an intranet."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY_EXAMPLE]})

    generated_at: datetime = Field(description="When this was read (UTC).")
    status: ServiceCondition = Field(description="The worst status over all services.")
    services: list[ServiceStatus] = Field(description="Every service, by name.")
    incidents: list[CurrentIncident] = Field(description="Open incidents, newest first.")
    maintenance: list[PublicMaintenance] = Field(
        description="Maintenance in progress or planned, soonest first."
    )
    past_incidents: list[PastIncident] = Field(
        description="Incidents resolved in the last 30 days, newest first."
    )
