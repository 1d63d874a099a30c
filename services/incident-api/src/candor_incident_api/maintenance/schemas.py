"""What operators send and receive about maintenance windows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from candor_incident_api.catalog.schemas import SLUG_PATTERN
from candor_incident_api.times import UtcTime

ImpactLevel = Literal["none", "minor", "major", "critical"]
WindowStatus = Literal["scheduled", "in_progress", "completed", "cancelled"]


WindowTime = UtcTime
"""An ISO 8601 time with its offset, kept in UTC."""

_CREATE_EXAMPLE: dict[str, Any] = {
    "title": "Mail server upgrade",
    "description": "Webmail and phone mail apps will not connect while we upgrade.",
    "services": ["email"],
    "impact": "major",
    "starts_at": "2026-12-05T20:00:00+01:00",
    "ends_at": "2026-12-05T22:00:00+01:00",
}


def _after_start(value: datetime | None, info: ValidationInfo) -> datetime | None:
    starts_at = info.data.get("starts_at")
    if value is not None and starts_at is not None and value <= starts_at:
        raise ValueError(
            f"ends_at ({value.isoformat()}) must be after starts_at ({starts_at.isoformat()})"
        )
    return value


class MaintenanceIn(BaseModel):
    """Planned work on some services, announced to their users."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    title: str = Field(min_length=1, max_length=500, description="What users will read.")
    description: str = Field(
        default="", max_length=10_000, description="What users can and cannot do meanwhile."
    )
    services: list[Annotated[str, Field(pattern=SLUG_PATTERN)]] = Field(
        min_length=1, max_length=200, description="Slugs of the services affected."
    )
    impact: ImpactLevel = Field(default="major", description="Impact on those services.")
    starts_at: WindowTime = Field(
        description="Planned start, with offset. At most 5 minutes in the past (starting now)."
    )
    ends_at: WindowTime = Field(description="Planned end, with offset; after starts_at.")
    announced_at: WindowTime | None = Field(
        default=None,
        description="When users were first told (e.g. by an earlier mail); default now. "
        "Not in the future.",
    )

    _ends_after_start = field_validator("ends_at")(_after_start)


class MaintenancePatch(BaseModel):
    """Changes to a scheduled window; absent fields stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"starts_at": "2026-12-06T20:00:00+01:00", "ends_at": "2026-12-06T22:00:00+01:00"}
            ]
        },
    )

    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=10_000)
    services: list[Annotated[str, Field(pattern=SLUG_PATTERN)]] | None = Field(
        default=None, min_length=1, max_length=200
    )
    impact: ImpactLevel | None = None
    starts_at: WindowTime | None = Field(
        default=None, description="New planned start; moving the window re-announces it."
    )
    ends_at: WindowTime | None = Field(
        default=None, description="New planned end; moving the window re-announces it."
    )

    _ends_after_start = field_validator("ends_at")(_after_start)


class MaintenanceOut(BaseModel):
    """A maintenance window as it stands."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_CREATE_EXAMPLE,
                    "id": "01938c6e-7a10-7c3e-8f4b-2a9d5e1f0c11",
                    "status": "scheduled",
                    "starts_at": "2026-12-05T19:00:00Z",
                    "ends_at": "2026-12-05T21:00:00Z",
                    "announced_at": "2026-11-28T09:12:00Z",
                    "started_at": None,
                    "completed_at": None,
                    "cancelled_at": None,
                    "created_by": "admin",
                    "created_at": "2026-11-28T09:12:00Z",
                    "updated_at": "2026-11-28T09:12:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    title: str
    description: str
    services: list[str] = Field(description="Slugs of the services affected.")
    impact: ImpactLevel
    status: WindowStatus
    starts_at: datetime
    ends_at: datetime
    announced_at: datetime = Field(description="When users could first learn of it.")
    started_at: datetime | None = Field(
        description="Automatic start: the planned start; manual start: when it was started."
    )
    completed_at: datetime | None = Field(
        description="Automatic end: the planned end; manual completion: when it was completed."
    )
    cancelled_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Goes up by one with every change (see ETag).")
