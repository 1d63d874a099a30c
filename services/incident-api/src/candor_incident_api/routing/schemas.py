"""What operators send and receive about routing rules and unrouted alerts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from candor_incident_api.catalog.schemas import SLUG_PATTERN
from candor_incident_api.routing.matchers import Matcher

_RULE_EXAMPLE: dict[str, Any] = {
    "matchers": [{"label": "instance", "op": "=~", "value": "mx[0-9]+:.*"}],
    "service": "email",
    "component": "outgoing-mail",
}


class RuleIn(BaseModel):
    """Alerts matching every matcher go to ``service`` (and ``component``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_RULE_EXAMPLE]})

    matchers: list[Matcher] = Field(
        default_factory=list, max_length=20, description="All must hold; none: match all."
    )
    service: str = Field(pattern=SLUG_PATTERN, description="Slug of the target service.")
    component: str | None = Field(
        default=None, pattern=SLUG_PATTERN, description="Slug of a component of that service."
    )


class RuleOut(RuleIn):
    """A stored rule, with its place in the list."""

    id: uuid.UUID
    position: int


class UnroutedOut(BaseModel):
    """An alert no rule, label or default service could place."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    integration_id: uuid.UUID | None
    source: str
    fingerprint: str
    status: str
    severity: str
    summary: str
    labels: dict[str, str]
    reason: str = Field(examples=["no service with slug 'mail'"])
    starts_at: datetime
    ends_at: datetime | None
    received: int = Field(description="How many notifications of it arrived.")
    first_received_at: datetime
    last_received_at: datetime


class RouteIn(BaseModel):
    """Where an unrouted alert belongs."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"service": "email"}]}
    )

    service: str = Field(pattern=SLUG_PATTERN)
    component: str | None = Field(default=None, pattern=SLUG_PATTERN)
