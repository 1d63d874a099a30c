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
        description="Port of sla-monitor's /v1/ledger, /v1/services/{slug}/facts and "
        "/budget, /healthz, /readyz and /metrics.",
    )
    budget_evaluation_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How often sla-monitor evaluates every availability objective's error "
        "budget and burn rates (publishing sla.burn_rate and sla.at_risk on a change).",
    )
    budget_at_risk_share: float = Field(
        default=0.75,
        gt=0,
        le=1,
        description="Share of a period's error budget consumed at which sla.at_risk "
        "(scope error_budget) is published, once per period.",
    )
    report_poll_seconds: float = Field(
        default=60,
        gt=0,
        le=3600,
        description="How often sla-monitor looks for months that closed, to publish each "
        "service's final monthly report.",
    )
    report_final_delay_seconds: int = Field(
        default=900,
        ge=0,
        le=7 * 24 * 3600,
        description="How long after a month closes (in the agreement's timezone) its final "
        "report is made, so that the month's late events are counted.",
    )
    deadline_update_lead_seconds: float = Field(
        default=300,
        ge=0,
        le=24 * 3600,
        description="How long before a first-communication or update deadline sla.update_due "
        "is published, so that the notifier can send a holding update on time; never more "
        "than half the deadline's allowed time.",
    )
    deadline_at_risk_share: float = Field(
        default=0.75,
        gt=0,
        lt=1,
        description="Share of a deadline's allowed time consumed (in business hours for "
        "business-hours terms) at which sla.at_risk (scope deadline) is published.",
    )
    deadline_poll_seconds: float = Field(
        default=5,
        gt=0,
        le=3600,
        description="Longest pause of the deadline scheduler between looks for deadlines "
        "falling due; it also wakes at the next due instant and when an earlier one is "
        "recorded.",
    )
