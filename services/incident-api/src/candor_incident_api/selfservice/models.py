"""Subscriptions waiting for their confirmation, and the sign-ups counted for the limits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from candor_incident_api.models import Base
from candor_shared.db import UTCDateTime


class PendingSubscription(Base):
    """What someone asked for on the subscribe page, kept until the emailed link is followed
    (it then becomes a subscriber and this row goes) or until it expires.

    The address is here and nowhere else until it is confirmed: nothing but the confirmation
    email is sent to it.
    """

    __tablename__ = "pending_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    services: Mapped[list[str]] = mapped_column(JSON)
    components: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    """Components followed on their own, as ``service-slug/component-slug``."""
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SignupAttempt(Base):
    """One sign-up, counted against its address and its client IP for an hour.

    ``key_hash`` is a keyed hash of the address or IP, never the value itself: the limits need
    to recognise a value again, not to read it, and rows older than the window are deleted.
    """

    __tablename__ = "signup_attempts"
    __table_args__ = (Index("ix_signup_attempts_scope_key_at", "scope", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    scope: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
