"""The settings every Candor service shares; each service extends this class.

Every field is read from an environment variable named ``CANDOR_<FIELD>``; the README's
configuration table lists them all.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CandorSettings(BaseSettings):
    """Settings common to incident-api, sla-monitor and notifier."""

    model_config = SettingsConfigDict(env_prefix="CANDOR_", extra="ignore")

    env: Literal["development", "production"] = Field(
        default="development",
        description="In development, migrations run at start; in production, run `migrate` first.",
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///var/candor.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    database_schema: str = Field(
        default="",
        description="PostgreSQL schema holding this service's tables (default: one per service).",
    )
    database_pool_size: int = Field(
        default=10, ge=1, le=200, description="Connections kept open to PostgreSQL."
    )
    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Kafka brokers: host:port[,host:port]"
    )
    kafka_topic_prefix: str = Field(
        default="", description="Prefix for every topic name, to share one cluster."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="How to reach the brokers: PLAINTEXT, SSL, SASL_SSL, ..."
    )
    kafka_sasl_mechanism: str = Field(default="", description="PLAIN, SCRAM-SHA-256, ...")
    kafka_sasl_username: str = Field(default="", description="SASL user name.")
    kafka_sasl_password: str = Field(default="", description="SASL password.")
    kafka_idempotent_producer: bool = Field(
        default=False,
        description="Turn on for Apache Kafka; the embedded broker does not support it.",
    )
    kafka_partitions: int = Field(
        default=6, ge=1, le=1000, description="Partitions of topics Candor creates."
    )
    kafka_replication_factor: int = Field(
        default=1, ge=1, le=10, description="Replication factor of topics Candor creates."
    )
    kafka_session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        le=300_000,
        description="Consumer group session timeout: how soon a dead worker's partitions move.",
    )
    kafka_fetch_max_wait_ms: int = Field(
        default=100,
        ge=0,
        le=5000,
        description="Longest wait of a consumer fetch for new records (latency vs idle polls).",
    )
    outbox_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often the relay looks for rows written by other processes.",
    )
    outbox_batch_size: int = Field(
        default=500, ge=1, le=10_000, description="Outbox rows published per round."
    )
    consumer_max_attempts: int = Field(
        default=5, ge=1, le=100, description="Attempts before a message goes to <topic>.dlt."
    )
    log_format: Literal["json", "console"] = Field(
        default="console", description="json (one object per line, for production) or console."
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    outbound_allowlist: str = Field(
        default="",
        description=(
            "Comma-separated hosts or CIDR ranges that webhook, Slack, Teams and Apprise URLs may"
            " reach although they are loopback, private or link-local (all such addresses are"
            " refused otherwise), e.g. `hooks.intranet,10.20.0.0/16`."
        ),
    )

    @field_validator("outbound_allowlist")
    @classmethod
    def _outbound_allowlist_parses(cls, value: str) -> str:
        from candor_shared.outbound import Allowlist

        Allowlist.parse(value)
        return value


class PublicLinkSettings(CandorSettings):
    """Settings of the services that put links to Candor in front of users: incident-api
    serves the pages the links open, the notifier writes the links into messages, so both
    must agree on the address and on the key that signs unsubscribe links."""

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where users reach incident-api (status page, unsubscribe and feedback "
        "links); the notifier writes it into messages.",
    )
    unsubscribe_secret: str = Field(
        default="",
        repr=False,
        description=(
            "Key of the HMAC-SHA256 signature of one-click unsubscribe links (RFC 8058); "
            "incident-api and the notifier must share it. Empty: emails carry no "
            "List-Unsubscribe header and /unsubscribe answers 404."
        ),
    )
