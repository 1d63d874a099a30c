"""What operators send and receive about services."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"


class ServiceIn(BaseModel):
    """A service to create, or to update when its slug exists."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"slug": "email", "name": "Email"}]},
    )

    slug: str = Field(
        pattern=SLUG_PATTERN,
        description="Lowercase letters, digits and hyphens; used in alerts' `service` label.",
    )
    name: str = Field(min_length=1, max_length=200, description="The name users know it by.")


class ServiceOut(BaseModel):
    """A service in the catalog."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    created_at: datetime
    updated_at: datetime
