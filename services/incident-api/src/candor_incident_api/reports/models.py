"""The reports table: the newest report sla-monitor published for each service and month."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_incident_api.models import Base
from candor_shared.db import UTCDateTime


class ServiceReportRecord(Base):
    """One service's report of one month (``period``, ``YYYY-MM``), as sla-monitor made it.

    ``report`` is the :class:`candor_shared.contract.ServiceReport` in JSON. A newer report
    of the month replaces an older one, and a final one is never replaced by one that is not
    (see :func:`.repository.keep`). Keyed by service id: a slug may be given to another
    service one day, a month's report stays with the service it was made for.
    """

    __tablename__ = "service_reports"
    __table_args__ = (Index("ix_service_reports_service_slug_period", "service_slug", "period"),)

    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    service_slug: Mapped[str] = mapped_column(String(63))
    final: Mapped[bool] = mapped_column(Boolean)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
