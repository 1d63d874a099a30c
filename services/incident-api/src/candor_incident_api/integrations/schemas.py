"""What operators send and receive about integrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from candor_incident_api.catalog.schemas import SLUG_PATTERN
from candor_incident_api.integrations.keys import KEY_PREFIX, MIN_KEY_LENGTH

Source = Literal["alertmanager"]


class IntegrationIn(BaseModel):
    """A monitoring source to register."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Prometheus (prod)", "source": "alertmanager", "default_service": "email"}
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    source: Source = Field(description="Which monitoring tool posts to this integration.")
    default_service: str | None = Field(
        default=None,
        pattern=SLUG_PATTERN,
        description="Service of alerts that carry no `service` label.",
    )
    key: str | None = Field(
        default=None,
        min_length=MIN_KEY_LENGTH,
        max_length=200,
        pattern=rf"^{KEY_PREFIX}[A-Za-z0-9_-]+$",
        description=(
            f"Optional pre-shared key (starting with `{KEY_PREFIX}`) for keys kept in a "
            "secret store; by default Candor generates one."
        ),
    )


class IntegrationOut(BaseModel):
    """An integration; the key itself is never shown again after creation."""

    id: uuid.UUID
    name: str
    source: str
    default_service: str | None
    key_prefix: str = Field(description="The key's first characters, to recognise it.")
    ingest_url: str
    created_at: datetime
    revoked_at: datetime | None = None


class IntegrationCreated(IntegrationOut):
    """The answer to a creation: the only time the key is shown."""

    key: str = Field(description="Send as 'Authorization: Bearer <key>'. Shown only once.")
