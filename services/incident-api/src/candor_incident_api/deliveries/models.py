"""The latest delivery counts of each notice, and the timeline entry that shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from candor_incident_api.models import Base
from candor_shared.db import UTCDateTime


class NoticeDeliveries(Base):
    """Where the deliveries of one notice stand, as the notifier last reported (``as_of``).

    One row and one timeline entry per notice, updated as the counts come in.
    """

    __tablename__ = "notice_deliveries"

    notice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    timeline_entry_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[int] = mapped_column(Integer)
    delivered: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    settled: Mapped[bool] = mapped_column(Boolean)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
