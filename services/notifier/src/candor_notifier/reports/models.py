"""The newest SLA standing of each service, from sla-monitor's reports, for post-incident
reports to quote."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_notifier.models import Base
from candor_shared.db import UTCDateTime


class ServiceStanding(Base):
    """A service's availability over its newest reported period (``candor.sla.report.v1``).

    A report of an older period (asked for on demand) does not replace a newer one; a newer
    report of the same period does.
    """

    __tablename__ = "service_standings"

    service_slug: Mapped[str] = mapped_column(String(63), primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    availability_percent: Mapped[float] = mapped_column(Float)
    adequate_percent: Mapped[float | None] = mapped_column(Float)
    final: Mapped[bool] = mapped_column(Boolean)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
