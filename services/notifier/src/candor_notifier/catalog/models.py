"""The replica of incident-api's catalog, fed by catalog events.

This is the one place where the notifier keeps an address: erasing a subscriber here (and
their deliveries) leaves none anywhere in the notifier.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_notifier.models import Base
from candor_shared.db import UTCDateTime


class Service(Base):
    """A service as users know it."""

    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), index=True)
    name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscriber(Base):
    """A person who receives notices, with how they read them."""

    __tablename__ = "subscribers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscription(Base):
    """A subscriber follows the service with this slug."""

    __tablename__ = "subscriptions"

    subscriber_id: Mapped[str] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    service_slug: Mapped[str] = mapped_column(String(63), primary_key=True, index=True)
