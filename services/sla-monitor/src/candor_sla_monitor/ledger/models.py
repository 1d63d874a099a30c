"""The ledger's tables: declared downtime (outages) and measured downtime (alert intervals).

Both keep facts as they were reported, not conclusions: agreements, deadlines and error
budgets are computed from them, so that a change of terms can be applied to the past.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from candor_shared.db import UTCDateTime
from candor_sla_monitor.models import Base


class Outage(Base):
    """Downtime as declared by an incident: one row per incident, as of its newest version.

    ``ended_at`` is NULL while the incident is open; ``acknowledged_at`` until an operator
    acknowledges it. ``last_version`` is the incident version
    the row reflects; an event with an older version never overwrites it.
    """

    __tablename__ = "outages"
    __table_args__ = (Index("ix_outages_service_slug_started_at", "service_slug", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(64), unique=True)
    service_id: Mapped[str] = mapped_column(String(64))
    service_slug: Mapped[str] = mapped_column(String(63))
    impact: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_version: Mapped[int] = mapped_column(Integer)


class AlertInterval(Base):
    """Downtime as measured by monitoring: one row per firing of one alert.

    An alert that clears and fires again gets a new row (a new ``starts_at``); the unique
    key makes a redelivered event harmless.
    """

    __tablename__ = "alert_intervals"
    __table_args__ = (
        UniqueConstraint("service_slug", "source", "fingerprint", "starts_at"),
        Index("ix_alert_intervals_service_slug_starts_at", "service_slug", "starts_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(64), index=True)
    service_slug: Mapped[str] = mapped_column(String(63))
    source: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
