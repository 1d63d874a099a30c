"""The notifier's declarative base and the runtime tables (inbox, outbox)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from candor_shared.db import new_metadata
from candor_shared.kafka import InboxMixin, OutboxMixin


class Base(DeclarativeBase):
    """Base of every notifier table."""

    metadata = new_metadata()


class InboxRecord(InboxMixin, Base):
    """Events already handled: catalog changes, incident changes and SLA deadlines."""


class OutboxRecord(OutboxMixin, Base):
    """Events waiting to be published to Kafka (delivery facts)."""


def load_all_models() -> None:
    """Import every domain's models so that ``Base.metadata`` knows all tables."""
    from candor_notifier.audience import models as _audience  # noqa: F401
    from candor_notifier.catalog import models as _catalog  # noqa: F401
    from candor_notifier.deliveries import models as _deliveries  # noqa: F401
    from candor_notifier.incidents import models as _incidents  # noqa: F401
    from candor_notifier.maintenance import models as _maintenance  # noqa: F401
    from candor_notifier.reports import models as _reports  # noqa: F401
    from candor_notifier.sla import models as _sla  # noqa: F401
