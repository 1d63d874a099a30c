"""The perceived side of the ledger: users' answers as they came, and per incident what
they add up to.

``feedback_answers`` keeps the facts (one answer per respondent and incident, the latest
given); ``perceived_downtime`` is the ledger's perceived column, recomputed from them in
the transaction that records an answer, so that it never disagrees with them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_shared.db import UTCDateTime
from candor_sla_monitor.models import Base


class FeedbackAnswer(Base):
    """One respondent's answer about one incident (their latest: ``answered_at``).

    ``respondent`` is a subscriber id; sla-monitor never learns more about who it is.
    """

    __tablename__ = "feedback_answers"

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    respondent: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64))
    service_slug: Mapped[str] = mapped_column(String(63))
    kept_informed: Mapped[int] = mapped_column(SmallInteger)
    disruption: Mapped[int] = mapped_column(SmallInteger)
    adequate_percent: Mapped[float] = mapped_column(Float)
    desired_percent: Mapped[float] = mapped_column(Float)
    perceived_seconds: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PerceivedDowntime(Base):
    """An incident's downtime as its users perceived it: the median of the durations its
    respondents gave (``perceived_seconds``, NULL while nobody gave one), and their mean
    scores, over ``respondents`` answers."""

    __tablename__ = "perceived_downtime"
    __table_args__ = (Index("ix_perceived_downtime_service_slug", "service_slug"),)

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64))
    service_slug: Mapped[str] = mapped_column(String(63))
    respondents: Mapped[int] = mapped_column(Integer)
    perceived_answers: Mapped[int] = mapped_column(Integer)
    perceived_seconds: Mapped[int | None] = mapped_column(Integer)
    kept_informed_mean: Mapped[float | None] = mapped_column(Float)
    disruption_mean: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
