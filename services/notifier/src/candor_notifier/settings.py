"""The notifier's settings (environment variables ``CANDOR_*``)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from candor_notifier.mail.smtp import SmtpServer
from candor_shared.settings import CandorSettings


class NotifierSettings(CandorSettings):
    """Settings of the notifier; the README's configuration table lists them all."""

    database_schema: str = Field(
        default="candor_notifier", description="PostgreSQL schema of the notifier's tables."
    )
    notifier_host: str = Field(
        default="127.0.0.1", description="Address of the notifier's health and metrics port."
    )
    notifier_port: int = Field(
        default=8002, ge=1, le=65535, description="Port of /healthz, /readyz and /metrics."
    )
    smtp_url: str = Field(
        default="smtp://127.0.0.1:1025",
        description=(
            "SMTP relay: smtp://host:port (STARTTLS when offered) or "
            "smtps://user:password@host:port (TLS from the start); user and password optional."
        ),
    )
    smtp_from: str = Field(
        default="Candor <candor@localhost>",
        description="From header and envelope sender of every email.",
    )
    smtp_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Longest wait for the SMTP server: connecting, or one whole message.",
    )
    smtp_max_connections: int = Field(
        default=4, ge=1, le=100, description="SMTP connections used at once to send a batch."
    )
    delivery_batch_size: int = Field(
        default=100, ge=1, le=10_000, description="Deliveries claimed at once by the sender."
    )
    delivery_max_attempts: int = Field(
        default=8,
        ge=1,
        le=100,
        description="Attempts on temporary failures (4xx, no connection) before giving up.",
    )
    delivery_retry_base_seconds: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="Wait before the second attempt; doubles with each attempt (with jitter).",
    )
    delivery_retry_max_seconds: float = Field(
        default=900.0, gt=0, le=86_400, description="Longest wait between two attempts."
    )
    delivery_lease_seconds: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description="A claimed delivery whose sender died is tried again after this.",
    )
    delivery_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often the sender looks for due deliveries when nothing woke it.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where users reach Candor's status page; used for links in messages.",
    )

    @field_validator("smtp_url")
    @classmethod
    def _valid_smtp_url(cls, value: str) -> str:
        SmtpServer.from_url(value)
        return value

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> NotifierSettings:
        if self.delivery_lease_seconds <= self.smtp_timeout_seconds:
            raise ValueError(
                "delivery_lease_seconds must be longer than smtp_timeout_seconds, "
                "or a slow send could be claimed and sent again by another sender"
            )
        return self

    @property
    def smtp_server(self) -> SmtpServer:
        """The SMTP relay that ``smtp_url`` names."""
        return SmtpServer.from_url(self.smtp_url)
