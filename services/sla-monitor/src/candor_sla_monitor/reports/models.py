"""The monthly schedule of final reports: which (service, month) is owed, which was sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_shared.db import UTCDateTime
from candor_sla_monitor.models import Base


class MonthlyReport(Base):
    """The final report of ``service_id`` for ``period`` (``YYYY-MM``), owed or published,
    against the service's own agreement (``group_id`` "") or a group's.

    A row is written for a service's current month the first time the schedule sees the
    service, and for the next month when a final report is published: months before
    sla-monitor knew a service get no report of their own accord. ``published_at`` is set in
    the transaction that writes the report to the outbox, so a report is published once,
    whatever restarts or replicas. ``due_at`` is when the final report may be made: the
    month's end in the agreement's timezone, plus the delay given to late events.
    """

    __tablename__ = "monthly_reports"
    __table_args__ = (Index("ix_monthly_reports_published_at_due_at", "published_at", "due_at"),)

    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    service_slug: Mapped[str] = mapped_column(String(63))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
