"""The deadlines' tables: what they know of each incident, when users were told something,
and the deadlines themselves, with when each of their events is due and was published.

The ``deadlines`` table is the only source of truth for firing: a scheduler polls it, and
nothing waiting in memory decides whether an event goes out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_shared.db import UTCDateTime
from candor_sla_monitor.models import Base


class TrackedIncident(Base):
    """An incident as the deadlines see it: its newest snapshot and its episodes.

    ``episodes`` is the list of ``[start, end]`` (RFC 3339, ``end`` null while open) during
    which the incident was open: the first starts at ``opened_at``, each reopening adds one.
    ``ended_at`` is the last episode's end (NULL: open now).
    """

    __tablename__ = "deadline_incidents"
    __table_args__ = (Index("ix_deadline_incidents_service_id", "service_id"),)

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64))
    service_slug: Mapped[str] = mapped_column(String(63))
    service_name: Mapped[str] = mapped_column(String(200))
    impact: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    episodes: Mapped[list[list[Any]]] = mapped_column(JSON)
    last_version: Mapped[int] = mapped_column(Integer)


class Communication(Base):
    """Users were told something about an incident at ``at``: a notice the notifier
    delivered (``ref`` = ``notice:<notice id>``) or an operator's public update
    (``ref`` = ``update:<event id>``). The key makes a redelivered fact harmless."""

    __tablename__ = "communications"
    __table_args__ = (Index("ix_communications_incident_id_at", "incident_id", "at"),)

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncidentDeadline(Base):
    """One term of one incident, one round: ``<incident>:<term>:<round>`` under the
    service's own agreement, ``<incident>:<group id>:<term>:<round>`` under a group's
    (``group_id``, ``group_name``: whose promise it is).

    ``outcome`` is ``pending`` until the deadline is decided: ``met`` (``met_at`` at or
    before ``due_at``), ``breached`` (``met_at`` later, or never met: ``met_at`` NULL) or
    ``cancelled`` (it stopped running before ``due_at``: the incident was resolved, or the
    term no longer applies; ``ended_at`` says when). Each ``*_at`` instant says when an
    event is due, each ``*_published_at`` when it was written to the outbox;
    ``next_fire_at`` is the earliest event still owed (NULL: none), for the scheduler.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_incident_id", "incident_id"),
        Index("ix_deadlines_next_fire_at", "next_fire_at"),
        Index("ix_deadlines_service_slug_started_at", "service_slug", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(String(64))
    service_slug: Mapped[str] = mapped_column(String(63))
    term: Mapped[str] = mapped_column(String(32))
    round: Mapped[int] = mapped_column(Integer)
    impact: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    allowed_seconds: Mapped[int] = mapped_column(Integer)
    business_hours_only: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    update_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    at_risk_at: Mapped[datetime] = mapped_column(UTCDateTime())
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    update_due_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    at_risk_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    breached_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    group_id: Mapped[str | None] = mapped_column(String(64))
    group_name: Mapped[str | None] = mapped_column(String(200))
