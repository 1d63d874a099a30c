"""Minor-incident notices waiting for a recipient's digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_notifier.models import Base
from candor_shared.db import UTCDateTime


class DigestEntry(Base):
    """A notice that goes to the recipient inside the digest ``digest_event_id`` (one digest
    notice per recipient and period, delivered at the period's end) instead of on its own."""

    __tablename__ = "digest_entries"

    recipient_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(
        ForeignKey("notices.event_id", ondelete="CASCADE"), primary_key=True
    )
    digest_event_id: Mapped[str] = mapped_column(
        ForeignKey("notices.event_id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
