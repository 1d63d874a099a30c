"""The notifier's settings (environment variables ``CANDOR_*``)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator, model_validator

from candor_notifier.mail.smtp import SmtpServer
from candor_shared.settings import PublicLinkSettings


class NotifierSettings(PublicLinkSettings):
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
    channel_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Longest wait for a Slack, Teams, webhook or Apprise endpoint to take one "
        "notice.",
    )
    channel_max_connections: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="HTTP connections kept open to Slack, Teams and webhook endpoints at once.",
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
    quarantine_after_failures: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="A Slack, Teams, webhook or Apprise endpoint is quarantined after this many "
        "failed deliveries in a row (and CANDOR_QUARANTINE_AFTER_MINUTES).",
    )
    quarantine_after_minutes: float = Field(
        default=10.0,
        ge=0,
        le=10_080,
        description="The failures in a row must span at least this many minutes before an "
        "endpoint is quarantined, so that a short outage of it does not.",
    )
    quarantine_cool_off_minutes: float = Field(
        default=60.0,
        ge=0,
        le=43_200,
        description="A quarantined endpoint gets one delivery again after this; a failure puts "
        "it back at once. 0: only an operator's release or a new URL ends it.",
    )
    delivery_summary_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How often, at most, a notice's delivery counts are published while its "
        "deliveries settle (once more when they have).",
    )

    notify_min_interval_seconds: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description="At most one update about an incident per recipient in this many seconds: "
        "later ones wait and go as one message with the latest state. Resolutions are never "
        "held back. 0: no folding.",
    )
    maintenance_reminder_lead_minutes: int = Field(
        default=60,
        ge=0,
        le=10_080,
        description="How long before planned maintenance starts its followers are reminded of "
        "it, once; 0: no reminders.",
    )
    maintenance_reminder_poll_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How often the notifier looks for maintenance reminders that are due.",
    )

    @field_validator("smtp_url")
    @classmethod
    def _valid_smtp_url(cls, value: str) -> str:
        SmtpServer.from_url(value)
        return value

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> NotifierSettings:
        for name in ("smtp_timeout_seconds", "channel_timeout_seconds"):
            if self.delivery_lease_seconds <= getattr(self, name):
                raise ValueError(
                    f"delivery_lease_seconds must be longer than {name}, "
                    "or a slow send could be claimed and sent again by another sender"
                )
        return self

    @property
    def notify_min_interval(self) -> timedelta | None:
        """The shortest time between two updates to one recipient; None: no folding."""
        seconds = self.notify_min_interval_seconds
        return timedelta(seconds=seconds) if seconds else None

    @property
    def maintenance_reminder_lead(self) -> timedelta | None:
        """How long before planned maintenance its reminder goes; None: no reminders."""
        minutes = self.maintenance_reminder_lead_minutes
        return timedelta(minutes=minutes) if minutes else None

    @property
    def smtp_server(self) -> SmtpServer:
        """The SMTP relay that ``smtp_url`` names."""
        return SmtpServer.from_url(self.smtp_url)
