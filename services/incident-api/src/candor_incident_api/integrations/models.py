"""Monitoring sources allowed to post alerts, each with its own key, and how their alerts
are routed to services."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from candor_incident_api.catalog.models import Service
from candor_incident_api.models import Base
from candor_shared.db import UTCDateTime


class Integration(Base):
    """One monitoring source (an Alertmanager, a Grafana, ...) and the hash of its key.

    An integration may post alerts only for its default service, the services listed in
    ``integration_services`` and the targets of its routing rules. ``signing_secret`` is the
    shared secret of optional inbound HMAC signatures: unlike a key it must be kept as is to
    check a signature, so it is never returned by the API after creation.
    """

    __tablename__ = "integrations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32))
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    default_service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL")
    )
    signing_secret: Mapped[str | None] = mapped_column(String(200))
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    default_service: Mapped[Service | None] = relationship(lazy="raise")


class IntegrationService(Base):
    """A service an integration may post alerts for (beyond its default service)."""

    __tablename__ = "integration_services"

    integration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )


class RoutingRule(Base):
    """Alerts whose labels match every matcher go to ``service`` (and ``component``).

    ``matchers`` is a list of ``{"label", "op", "value"}`` with ``op`` one of ``=``, ``!=``,
    ``=~`` and ``!~`` (regular expressions match the whole value, as in Alertmanager).
    Rules of an integration are tried in ``position`` order before global rules
    (``integration_id`` NULL); the first match wins.
    """

    __tablename__ = "routing_rules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    matchers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    component_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("components.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnroutedAlert(Base):
    """An alert no rule, label or default service placed: kept for operators, never dropped.

    Deduplicated like routed alerts; ``reason`` says why it could not be placed.
    """

    __tablename__ = "unrouted_alerts"
    __table_args__ = (UniqueConstraint("integration_id", "source", "fingerprint"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(32), default="")
    summary: Mapped[str] = mapped_column(String(500))
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received: Mapped[int] = mapped_column(Integer, default=1)
    first_received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubscriptionConfirmation(Base):
    """An AWS SNS subscription confirmation an operator has to act on (or that was confirmed)."""

    __tablename__ = "sns_confirmations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    integration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), index=True
    )
    topic_arn: Mapped[str] = mapped_column(String(300))
    subscribe_url: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
