"""What operators send and receive about incidents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from candor_incident_api.catalog.schemas import SLUG_PATTERN
from candor_incident_api.times import UtcTime

OpenStatus = Literal["investigating", "identified", "monitoring"]
ImpactLevel = Literal["none", "minor", "major", "critical"]


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
    received: int = Field(default=1, description="Notifications of it received, repeats included.")


class ImpactOut(BaseModel):
    """One service an incident affects, directly or through a dependency."""

    service: str
    service_name: str
    impact: str
    components: list[str] = Field(default_factory=list)
    via: str | None = Field(default=None, description="The service depended on, if indirect.")
    wording: str = Field(default="", description="What the impact means, in users' words.")


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
    opened_by: str = "alert"
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    public_message: str = ""
    next_update_at: datetime | None = None
    reopened: int = 0
    broadcast: bool = Field(
        default=True, description="Whether users have been told (false during the delay)."
    )
    notify_at: datetime | None = Field(
        default=None, description="When users will be told, if the incident still stands."
    )


_DETAIL_EXAMPLE: dict[str, Any] = {
    "id": "01a207cd-858c-71ec-908f-d495eba38c5a",
    "service": "email",
    "service_name": "Email",
    "status": "identified",
    "impact": "major",
    "title": "Outgoing mail is not being delivered",
    "summary": "",
    "started_at": "2026-11-23T09:58:00Z",
    "opened_at": "2026-11-23T09:58:04Z",
    "resolved_at": None,
    "firing_alerts": 1,
    "version": 3,
    "opened_by": "alert",
    "acknowledged_at": "2026-11-23T10:02:10Z",
    "acknowledged_by": "Alice Martin",
    "public_message": "A full disk stops outgoing mail. We are freeing space.",
    "next_update_at": "2026-11-23T10:30:00Z",
    "reopened": 0,
    "broadcast": True,
    "notify_at": None,
    "impacts": [
        {
            "service": "email",
            "service_name": "Email",
            "impact": "major",
            "components": ["smtp"],
            "via": None,
            "wording": "You may not be able to send email.",
        }
    ],
    "alerts": [
        {
            "id": "01a207cd-858f-739c-9575-918ef10e1030",
            "source": "alertmanager",
            "fingerprint": "c6b2f1e0a7d34b55",
            "status": "firing",
            "severity": "critical",
            "summary": "Outgoing mail is not being delivered",
            "labels": {"alertname": "MailQueueStuck", "service": "email"},
            "starts_at": "2026-11-23T09:58:00Z",
            "ends_at": None,
            "received": 3,
        }
    ],
}


class IncidentDetail(IncidentOut):
    """An incident with who it affects and its alerts."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DETAIL_EXAMPLE]})

    impacts: list[ImpactOut] = Field(default_factory=list)
    alerts: list[AlertOut]


_OPEN_EXAMPLE: dict[str, Any] = {
    "service": "email",
    "title": "Email cannot be sent",
    "impact": "major",
    "public_message": "Sending email fails for everyone. We are looking into it.",
    "next_update_at": "2026-11-23T10:30:00Z",
}


class IncidentIn(BaseModel):
    """An incident opened by hand."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_OPEN_EXAMPLE]})

    service: str = Field(pattern=SLUG_PATTERN)
    component: str | None = Field(default=None, pattern=SLUG_PATTERN)
    title: str = Field(min_length=1, max_length=500)
    impact: ImpactLevel = "major"
    status: OpenStatus = "investigating"
    public_message: str = Field(default="", max_length=4000, description="For users.")
    internal_note: str = Field(default="", max_length=4000, description="For operators only.")
    next_update_at: UtcTime | None = None
    started_at: UtcTime | None = Field(
        default=None, description="When the trouble began, if before now."
    )


class UpdateIn(BaseModel):
    """A change to an open incident; send at least one field."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "status": "identified",
                    "public_message": "A full disk on the mail relay stops outgoing mail. "
                    "We are freeing space.",
                    "internal_note": "mx1 /var at 100%",
                    "next_update_at": "2026-11-23T11:00:00Z",
                }
            ]
        },
    )

    status: OpenStatus | None = None
    impact: ImpactLevel | None = None
    public_message: str = Field(default="", max_length=4000)
    internal_note: str = Field(default="", max_length=4000)
    next_update_at: UtcTime | None = None

    @model_validator(mode="after")
    def _something(self) -> UpdateIn:
        if not (
            self.status
            or self.impact
            or self.public_message
            or self.internal_note
            or self.next_update_at
        ):
            raise ValueError(
                "send at least one of status, impact, public_message, internal_note, next_update_at"
            )
        return self


class ResolveIn(BaseModel):
    """The end of an incident, in users' words."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "summary": "A full disk on the mail relay stopped outgoing mail for 40 "
                    "minutes; queued mail has been delivered.",
                    "public_message": "Email works again. Mail sent during the outage has "
                    "been delivered.",
                }
            ]
        },
    )

    summary: str = Field(min_length=1, max_length=4000)
    public_message: str = Field(default="", max_length=4000)
    internal_note: str = Field(default="", max_length=4000)
    resolved_at: UtcTime | None = Field(
        default=None, description="When the trouble ended, if before now."
    )


class ReopenIn(BaseModel):
    """The trouble is back."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"public_message": "Sending email fails again."}]},
    )

    public_message: str = Field(default="", max_length=4000)
    internal_note: str = Field(default="", max_length=4000)


class TimelineOut(BaseModel):
    """One thing that happened to an incident."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    at: datetime
    kind: str = Field(examples=["alert.fired"])
    actor: str
    public_message: str
    internal_note: str
    data: dict[str, Any]
