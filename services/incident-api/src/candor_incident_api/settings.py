"""incident-api's settings (environment variables ``CANDOR_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from candor_shared.settings import CandorSettings


class ApiSettings(CandorSettings):
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
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Where users and operators reach the API."
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


@lru_cache
def get_settings() -> ApiSettings:
    """The process's settings, read once from the environment."""
    return ApiSettings()
