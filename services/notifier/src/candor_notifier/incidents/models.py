"""Incidents as far as notices go."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_notifier.models import Base
from candor_shared.db import UTCDateTime


class Incident(Base):
    """The newest version of an incident seen; older events about it are stale."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_slug: Mapped[str] = mapped_column(String(63), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    opened_event_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notice(Base):
    """One change worth telling people about, as the event carried it, or a holding update.

    Messages are rendered from it when they are sent, in each recipient's timezone.
    ``first_delivered_at`` is set once, by the first delivery that reached someone: that
    moment is the delivery fact the notifier publishes. A holding update's ``incident`` is
    the newest snapshot with the promised next update; ``unchanged_since`` is when users
    last heard. ``occurred_at`` is the event's own time (when the change was made, by the
    clock of the service that made it); ``created_at`` is when the notifier learnt of it.
    """

    __tablename__ = "notices"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(64), index=True)
    incident_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    incident: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    unchanged_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
