"""Holding updates: what was decided for each SLA deadline that asked for news."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_notifier.models import Base
from candor_shared.db import UTCDateTime

HoldingOutcome = Literal["planned", "superseded", "resolved", "unknown"]


class HoldingUpdate(Base):
    """One row per deadline: a second event about the same deadline finds it and does nothing.

    ``planned``: a holding notice (``notice_event_id``) went to the incident's audience;
    ``superseded``: operators told users something after the deadline's clock started;
    ``resolved``: the incident had ended; ``unknown``: the notifier never saw the incident.
    """

    __tablename__ = "holding_updates"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('planned', 'superseded', 'resolved', 'unknown')", name="outcome"
        ),
    )

    deadline_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    notice_event_id: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
