"""sla-monitor's settings (environment variables ``CANDOR_*``)."""

from __future__ import annotations

from pydantic import Field

from candor_shared.settings import CandorSettings


class SlaSettings(CandorSettings):
    """Settings of sla-monitor; the README's configuration table lists them all."""

    database_schema: str = Field(
        default="candor_sla", description="PostgreSQL schema of sla-monitor's tables."
    )
    sla_monitor_host: str = Field(
        default="127.0.0.1",
        description="Address sla-monitor listens on (ledger API, health and metrics).",
    )
    sla_monitor_port: int = Field(
        default=8001,
        ge=1,
        le=65535,
        description="Port of sla-monitor's /v1/ledger, /v1/services/{slug}/facts, /healthz, "
        "/readyz and /metrics.",
    )
