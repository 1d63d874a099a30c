"""Incidents and the alerts that belong to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from candor_incident_api.catalog.models import Service
from candor_incident_api.models import Base
from candor_shared.db import UTCDateTime


class Incident(Base):
    """Something users feel as one outage of one service.

    ``open_service_id`` equals ``service_id`` while the incident is open and is NULL once it
    is resolved; its unique constraint keeps one open incident per service, even when two
    writers race.
    """

    __tablename__ = "incidents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    open_service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    impact: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(String(4000), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    firing_alerts: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    component_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("components.id", ondelete="SET NULL")
    )
    opened_by: Mapped[str] = mapped_column(String(200), default="alert", server_default="alert")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    public_message: Mapped[str] = mapped_column(Text, default="", server_default="")
    next_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopened: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    notify_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), index=True
    )  # while set, users have not been told yet (notification delay)
    broadcast: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    service: Mapped[Service] = relationship(lazy="raise")


class IncidentImpact(Base):
    """How badly an incident affects one service (directly or through a dependency)."""

    __tablename__ = "incident_impacts"
    __table_args__ = (UniqueConstraint("incident_id", "service_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    impact: Mapped[str] = mapped_column(String(16))
    components: Mapped[list[str]] = mapped_column(JSON, default=list)
    via_service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL")
    )


class TimelineEntry(Base):
    """One thing that happened to an incident, in order: alerts, changes, updates, facts."""

    __tablename__ = "incident_timeline"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    public_message: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Alert(Base):
    """One monitoring alert, deduplicated by (service, source, fingerprint)."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("service_id", "source", "fingerprint"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(128))
    component_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("components.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(32), default="")
    summary: Mapped[str] = mapped_column(String(500))
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """How many notifications of this alert arrived (repeats included): nothing is lost."""

    # Declared so that a flush inserts a new incident before the alerts that point at it.
    incident: Mapped[Incident] = relationship(lazy="raise")
