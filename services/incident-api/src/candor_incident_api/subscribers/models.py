"""People (or teams) who asked to be told about services, and how to reach them."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, Time, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from candor_incident_api.catalog.models import Component, Service
from candor_incident_api.models import Base
from candor_shared.db import UTCDateTime


class Subscriber(Base):
    """A person (or a team's chat channel) who receives notices.

    ``email`` is their email channel and identifies them when they have one; the other
    channels are :class:`SubscriberChannel` rows.
    """

    __tablename__ = "subscribers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    quiet_start: Mapped[time | None] = mapped_column(Time(), default=None)
    """Quiet hours for minor incidents, wall clock in ``timezone``; None: never quiet."""
    quiet_end: Mapped[time | None] = mapped_column(Time(), default=None)
    digest_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    """Minor-incident notices gathered per this many seconds; None: each on its own."""
    email_fallback: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Email only when their other channels failed for good for a notice."""

    subscriptions: Mapped[list[Subscription]] = relationship(
        lazy="raise", cascade="all, delete-orphan", back_populates="subscriber"
    )
    component_subscriptions: Mapped[list[ComponentSubscription]] = relationship(
        lazy="raise", cascade="all, delete-orphan"
    )
    groups: Mapped[list[SubscriberGroup]] = relationship(
        lazy="raise", secondary="group_members", back_populates="members"
    )
    channels: Mapped[list[SubscriberChannel]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        back_populates="subscriber",
        order_by="SubscriberChannel.type",
    )


class Subscription(Base):
    """A subscriber's interest in one service."""

    __tablename__ = "subscriptions"

    subscriber_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    subscriber: Mapped[Subscriber] = relationship(lazy="raise", back_populates="subscriptions")
    service: Mapped[Service] = relationship(lazy="raise")


class SubscriberChannel(Base):
    """A way to reach a subscriber other than email: a Slack or Teams webhook URL, a generic
    webhook (with the secret its requests are signed with) or an Apprise URL.

    At most one of each type per subscriber, so that the notifier's ledger (one row per
    event, recipient and channel) holds one delivery per channel. The secret is kept as it
    is, like an integration's signing secret: signing needs it.
    """

    __tablename__ = "subscriber_channels"

    subscriber_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fallback: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Posted to only when the subscriber's other channels failed for good for a notice."""

    subscriber: Mapped[Subscriber] = relationship(lazy="raise", back_populates="channels")


class ComponentSubscription(Base):
    """A subscriber's interest in one component of a service: only incidents that affect
    that component (or the whole service) reach them through it."""

    __tablename__ = "component_subscriptions"

    subscriber_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    component: Mapped[Component] = relationship(lazy="raise")
    service: Mapped[Service] = relationship(
        lazy="raise",
        secondary="components",
        primaryjoin="ComponentSubscription.component_id == Component.id",
        secondaryjoin="Component.service_id == Service.id",
        viewonly=True,
    )


class SubscriberGroup(Base):
    """A group of subscribers ("Finance department") that follows services and components as
    a whole: its members hear of what it follows, besides what they follow themselves."""

    __tablename__ = "subscriber_groups"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    services: Mapped[list[Service]] = relationship(lazy="raise", secondary="group_services")
    components: Mapped[list[Component]] = relationship(lazy="raise", secondary="group_components")
    members: Mapped[list[Subscriber]] = relationship(
        lazy="raise", secondary="group_members", back_populates="groups"
    )


class GroupService(Base):
    """A group follows a whole service."""

    __tablename__ = "group_services"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscriber_groups.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class GroupComponent(Base):
    """A group follows one component of a service."""

    __tablename__ = "group_components"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscriber_groups.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class GroupMember(Base):
    """A subscriber belongs to a group."""

    __tablename__ = "group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscriber_groups.id", ondelete="CASCADE"), primary_key=True
    )
    subscriber_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
