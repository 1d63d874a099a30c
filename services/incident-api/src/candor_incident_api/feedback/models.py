"""The feedback table: one answer per respondent and incident, the latest one given."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, SmallInteger, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from candor_incident_api.models import Base
from candor_shared.db import UTCDateTime


class IncidentFeedback(Base):
    """A respondent's answer about an incident of a service.

    Answering again replaces the answer (``answered_at`` moves, ``first_answered_at``
    stays). Erasing the subscriber deletes their answers with them (the comment is free
    text and may name people); sla-monitor keeps the figures, under the subscriber id only.
    """

    __tablename__ = "incident_feedback"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    subscriber_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    kept_informed: Mapped[int] = mapped_column(SmallInteger)
    disruption: Mapped[int] = mapped_column(SmallInteger)
    adequate_percent: Mapped[float] = mapped_column(Float)
    desired_percent: Mapped[float] = mapped_column(Float)
    perceived_minutes: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    first_answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
