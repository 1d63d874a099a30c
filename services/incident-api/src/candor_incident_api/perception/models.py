"""The perception reports table: the newest report sla-monitor made per service and month."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_incident_api.models import Base
from candor_shared.db import UTCDateTime


class PerceptionReportRecord(Base):
    """One service's perception-gap report of one month (``period``, ``YYYY-MM``).

    ``report`` is the :class:`candor_shared.contract.PerceptionReport` in JSON; the one
    generated last is kept (answers keep coming after a month closes, so a later report is
    the better one, final or not). Keyed by service id, like the monthly reports.
    """

    __tablename__ = "perception_reports"
    __table_args__ = (Index("ix_perception_reports_service_slug_period", "service_slug", "period"),)

    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    service_slug: Mapped[str] = mapped_column(String(63))
    final: Mapped[bool] = mapped_column(Boolean)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
