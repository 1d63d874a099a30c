"""Maintenance windows as far as notices go, with the reminder each one owes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_notifier.models import Base
from candor_shared.db import UTCDateTime


class MaintenanceWindow(Base):
    """The newest version of a window seen, and its reminder.

    The reminder is a row, not a sleeping task, so that it survives restarts: the reminder
    task sends the windows whose ``reminder_due_at`` has passed and sets
    ``reminder_sent_at``, once. A window that starts, ends or is cancelled owes none.
    """

    __tablename__ = "maintenance_windows"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    maintenance: Mapped[dict[str, Any]] = mapped_column(JSON)
    reminder_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
