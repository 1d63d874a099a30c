"""What operators send and receive about integrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from candor_incident_api.catalog.schemas import SLUG_PATTERN
from candor_incident_api.ingest.sources import SourceName
from candor_incident_api.integrations.keys import (
    IMPORTED_KEY_PATTERN,
    KEY_PREFIX,
    MIN_IMPORTED_KEY_LENGTH,
)

Slug = str

_SERVICES: Any = Field(
    default_factory=list,
    max_length=100,
    description=(
        "Slugs of further services this integration may post alerts for (its default "
        "service and its routing rules' targets are allowed anyway). An integration with no "
        "default service, no services and no rules may post for any service by label."
    ),
)
_RATE: Any = Field(
    default=None,
    ge=0,
    le=1_000_000,
    description=(
        "Requests a minute this integration may post (429 past it). Absent or null: the "
        "server's CANDOR_INGEST_RATE_LIMIT_PER_MINUTE; 0: unlimited."
    ),
)
_SECRET: Any = Field(
    default=None,
    min_length=16,
    max_length=200,
    pattern=r"^[^\x00]+$",
    description=(
        "Write-only. When set, every request must be signed with it (X-Candor-Timestamp and "
        "X-Candor-Signature; Grafana's own HMAC signature for Grafana). Never shown again."
    ),
)


class IntegrationIn(BaseModel):
    """A monitoring source to register."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Prometheus (prod)",
                    "source": "alertmanager",
                    "default_service": "email",
                    "services": ["vpn"],
                    "rate_limit_per_minute": 600,
                },
                {
                    "name": "Legacy PagerDuty clients",
                    "source": "pagerduty",
                    "default_service": "payroll",
                    "key": "e93facc04764012d7bfb002500d5d1a6",
                },
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]+$")
    source: SourceName = Field(description="Which monitoring tool posts to this integration.")
    default_service: Slug | None = Field(
        default=None,
        pattern=SLUG_PATTERN,
        description="Service of alerts that name none (no `service` label, no rule).",
    )
    services: list[Slug] = _SERVICES
    rate_limit_per_minute: int | None = _RATE
    signing_secret: str | None = _SECRET
    key: str | None = Field(
        default=None,
        min_length=MIN_IMPORTED_KEY_LENGTH,
        max_length=200,
        pattern=IMPORTED_KEY_PATTERN,
        description=(
            f"Optional: import an existing key (at least {MIN_IMPORTED_KEY_LENGTH} printable "
            "characters, e.g. a PagerDuty routing key, or a key kept in a secret store); by "
            f"default Candor generates one starting with `{KEY_PREFIX}`."
        ),
    )


class IntegrationPatch(BaseModel):
    """Changes to an integration: only the fields sent change (null clears)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"services": ["email", "vpn"], "rate_limit_per_minute": 120}]
        },
    )

    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[^\x00]+$")
    default_service: Slug | None = Field(default=None, pattern=SLUG_PATTERN)
    services: list[Slug] | None = Field(default=None, max_length=100)
    rate_limit_per_minute: int | None = _RATE
    signing_secret: str | None = _SECRET


class IntegrationOut(BaseModel):
    """An integration; the key and the signing secret are never shown after creation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01936f3e-8a51-7c2e-9d4b-1f2a3b4c5d6e",
                    "name": "Prometheus (prod)",
                    "source": "alertmanager",
                    "default_service": "email",
                    "services": ["vpn"],
                    "rate_limit_per_minute": 600,
                    "signed": False,
                    "key_prefix": "cndr_ik_Xq3f",
                    "ingest_url": "https://candor.example.org/v1/ingest/alertmanager",
                    "version": 1,
                    "created_at": "2026-11-23T09:00:00Z",
                    "revoked_at": None,
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    source: str
    default_service: str | None
    services: list[str] = Field(description="Further services it may post for.")
    rate_limit_per_minute: int | None = Field(description="Null: the server's default.")
    signed: bool = Field(description="Whether requests must be signed (a secret is set).")
    key_prefix: str = Field(description="The key's first characters, to recognise it.")
    ingest_url: str = Field(description="Where the tool posts (see the source's docs).")
    version: int = Field(description="Changes with every edit; the ETag is built from it.")
    created_at: datetime
    revoked_at: datetime | None = None


class IntegrationCreated(IntegrationOut):
    """The answer to a creation: the only time the key is shown."""

    key: str = Field(
        description="The integration key (bearer token, PagerDuty routing_key). Shown only once."
    )


class SnsConfirmationOut(BaseModel):
    """A subscription confirmation AWS SNS sent to a CloudWatch integration."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "01936f3e-8a51-7c2e-9d4b-1f2a3b4c5d6f",
                    "topic_arn": "arn:aws:sns:eu-west-1:123456789012:candor",
                    "subscribe_url": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=...&Token=...",
                    "message": "You have chosen to subscribe to the topic arn:aws:sns:...",
                    "received_at": "2026-11-23T09:00:00Z",
                    "confirmed_at": None,
                }
            ]
        },
    )

    id: uuid.UUID
    topic_arn: str
    subscribe_url: str = Field(description="Visited by `POST .../confirm` (or by hand).")
    message: str
    received_at: datetime
    confirmed_at: datetime | None = None
