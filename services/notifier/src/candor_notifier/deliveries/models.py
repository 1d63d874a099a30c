"""The delivery ledger.

No address is kept here: the sender looks it up in the subscriber replica when it sends, so
erasing a subscriber removes it everywhere at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from candor_notifier.models import Base
from candor_shared.db import UTCDateTime

DeliveryState = Literal["pending", "sending", "sent", "failed"]


class Delivery(Base):
    """One notice to one recipient over one channel, and where it stands.

    ``pending`` waits for ``next_attempt_at``; ``sending`` is claimed by a sender until
    ``lease_until``; ``sent`` was accepted by the relay; ``failed`` will not be tried again.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", "channel"),
        CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed')", name="state"),
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("notices.event_id", ondelete="CASCADE"))
    recipient_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    incident_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str] = mapped_column(String(255))
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    folded: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """How many updates the message tells (more than 1: a burst folded into one message)."""
    folded_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """Held back by burst folding: when the recipient last heard before these updates."""


class Endpoint(Base):
    """A chat, webhook or Apprise endpoint that failed lately: how many deliveries in a row,
    since when, and whether it is quarantined.

    ``key`` is a SHA-256 of the channel type and URL (the URL itself is a secret and is kept
    only with the subscriber's channel). A delivery that goes through deletes the row.
    """

    __tablename__ = "endpoints"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    failures_in_a_row: Mapped[int] = mapped_column(Integer)
    failing_since: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text)
    quarantined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    quarantined_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When one delivery may be tried again; None while quarantined means until a new URL."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NoticeSummary(Base):
    """When the last :class:`~candor_shared.contract.sla.NoticeSettled` of a notice was
    published, and whether it said the notice was settled (published once, whoever races)."""

    __tablename__ = "notice_summaries"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("notices.event_id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
