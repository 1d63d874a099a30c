"""The replica of incident-api's catalog, fed by catalog events.

This is the one place where the notifier keeps an address, a chat URL or a webhook secret:
erasing a subscriber here (and their deliveries) leaves none anywhere in the notifier.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, Time, false
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
    """A person who receives notices, with how they read them; ``email`` is None for one
    reached only through other channels."""

    __tablename__ = "subscribers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    quiet_start: Mapped[time | None] = mapped_column(Time())
    """Quiet hours for minor-impact notices, wall clock in ``timezone`` (None: never quiet)."""
    quiet_end: Mapped[time | None] = mapped_column(Time())
    digest_seconds: Mapped[int | None] = mapped_column(Integer)
    """Minor-impact notices gathered per this many seconds (None: each on its own)."""
    email_fallback: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Email only when every other channel failed for good for a notice (a fallback)."""


class Subscription(Base):
    """A subscriber follows the service with this slug."""

    __tablename__ = "subscriptions"

    subscriber_id: Mapped[str] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    service_slug: Mapped[str] = mapped_column(String(63), primary_key=True, index=True)


class SubscriberChannel(Base):
    """A way to reach a subscriber other than email: a Slack or Teams webhook, a generic
    webhook (with its signing secret) or an Apprise URL; at most one of each type."""

    __tablename__ = "subscriber_channels"

    subscriber_id: Mapped[str] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(String(200))
    fallback: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Posted only when every other channel failed for good for a notice."""


class ComponentSubscription(Base):
    """A subscriber follows one component of a service: incidents that affect it, only."""

    __tablename__ = "component_subscriptions"

    subscriber_id: Mapped[str] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    service_slug: Mapped[str] = mapped_column(String(63), primary_key=True, index=True)
    component_slug: Mapped[str] = mapped_column(String(63), primary_key=True)


class Group(Base):
    """A group of subscribers ("Finance department") that follows services as a whole."""

    __tablename__ = "subscriber_groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupSubscription(Base):
    """A group follows a service (``component_slug`` empty) or one component of it."""

    __tablename__ = "group_subscriptions"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("subscriber_groups.id", ondelete="CASCADE"), primary_key=True
    )
    service_slug: Mapped[str] = mapped_column(String(63), primary_key=True, index=True)
    component_slug: Mapped[str] = mapped_column(String(63), primary_key=True, default="")


class GroupMember(Base):
    """A subscriber belongs to a group. No foreign key to the group: the subscriber's event
    may come before the group's (they have different keys, so different partitions)."""

    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    subscriber_id: Mapped[str] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
