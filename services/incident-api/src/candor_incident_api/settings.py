"""incident-api's settings (environment variables ``CANDOR_*``)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field

from candor_shared.settings import PublicLinkSettings


class ApiSettings(PublicLinkSettings):
    """Settings of incident-api; the README's configuration table lists them all."""

    database_schema: str = Field(
        default="candor_api", description="PostgreSQL schema holding the service's own tables."
    )
    api_host: str = Field(default="127.0.0.1", description="Address incident-api listens on.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port of incident-api.")
    admin_token: str = Field(
        default="",
        description="Bearer token of the first operator (admin). Empty: operator API refused.",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, le=64 * 1_048_576, description="Largest request body (413)."
    )
    maintenance_poll_seconds: float = Field(
        default=15,
        gt=0,
        le=3600,
        description="Longest pause of the maintenance scheduler between looks for windows to "
        "start or complete; it also wakes at the next due time and when a window changes.",
    )
    report_auto_after: timedelta = Field(
        default=timedelta(days=2),
        ge=timedelta(0),
        description="How long after an incident is resolved its post-incident report goes to "
        "users with the facts known so far, unless operators published it (ISO 8601 duration "
        "such as P2D, or seconds); 0: never automatically.",
    )
    report_auto_poll_seconds: float = Field(
        default=60,
        gt=0,
        le=3600,
        description="How often incident-api looks for post-incident reports to publish "
        "automatically.",
    )
    ingest_rate_limit_per_minute: int = Field(
        default=60_000,
        ge=0,
        le=10_000_000,
        description=(
            "Requests a minute an integration may post when it sets no rate_limit_per_minute "
            "of its own (429 with Retry-After past it; per process); 0: unlimited."
        ),
    )
    sns_cert_host_pattern: str = Field(
        default=r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$",
        description=(
            "Regular expression the host of an SNS SigningCertURL and SubscribeURL must match "
            "(always over https). Change it only to test with a certificate of your own."
        ),
    )
    idempotency_ttl_hours: int = Field(
        default=24,
        ge=1,
        le=24 * 30,
        description=(
            "How long the answer to a POST with an Idempotency-Key is kept for retries; "
            "older records are pruned and the key may then be used again."
        ),
    )
    subscribe_confirm_hours: int = Field(
        default=48,
        ge=1,
        le=24 * 30,
        description=(
            "How long the link of a self-service subscription's confirmation email works; "
            "an unconfirmed request is forgotten after it."
        ),
    )
    subscribe_limit_per_address: int = Field(
        default=3,
        ge=1,
        le=1000,
        description="Sign-ups an hour for one email address on /subscribe (429 past it).",
    )
    subscribe_limit_per_ip: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Sign-ups an hour from one client IP address on /subscribe (429 past it).",
    )


@lru_cache
def get_settings() -> ApiSettings:
    """The process's settings, read once from the environment."""
    return ApiSettings()
