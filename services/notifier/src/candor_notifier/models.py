"""The notifier's declarative base and the runtime tables (inbox, outbox)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from candor_shared.db import new_metadata
from candor_shared.kafka import InboxMixin, OutboxMixin


class Base(DeclarativeBase):
    """Base of every notifier table."""

    metadata = new_metadata()


class InboxRecord(InboxMixin, Base):
    """Events already handled: catalog changes and incident changes."""


class OutboxRecord(OutboxMixin, Base):
    """Events waiting to be published to Kafka (delivery facts)."""


def load_all_models() -> None:
    """Import every domain's models so that ``Base.metadata`` knows all tables."""
    from candor_notifier.catalog import models as _catalog  # noqa: F401
    from candor_notifier.deliveries import models as _deliveries  # noqa: F401
    from candor_notifier.incidents import models as _incidents  # noqa: F401
