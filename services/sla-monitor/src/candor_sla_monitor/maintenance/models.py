"""The maintenance_windows table: each window as of its newest event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_shared.db import UTCDateTime
from candor_sla_monitor.models import Base


class MaintenanceWindow(Base):
    """One maintenance window as its newest version described it (a fact, not a conclusion:
    whether it was announced in time is judged against each agreement when counting).

    ``service_slugs`` lists the services it concerns; ``version`` is the window's version the
    row reflects, and an older event never overwrites it. Cancelled windows keep their row.
    """

    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_windows_starts_at", "starts_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    service_slugs: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
