"""sla-monitor's declarative base and the runtime tables (inbox, outbox)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from candor_shared.db import new_metadata
from candor_shared.kafka import InboxMixin, OutboxMixin


class Base(DeclarativeBase):
    """Base of every sla-monitor table."""

    metadata = new_metadata()


class InboxRecord(InboxMixin, Base):
    """Events already handled: incident and alert changes."""


class OutboxRecord(OutboxMixin, Base):
    """Events waiting to be published to Kafka (the ``sla.*`` events, to come)."""


def load_all_models() -> None:
    """Import every domain's models so that ``Base.metadata`` knows all tables."""
    from candor_sla_monitor.agreements import models as _agreements  # noqa: F401
    from candor_sla_monitor.budget import models as _budget  # noqa: F401
    from candor_sla_monitor.deadlines import models as _deadlines  # noqa: F401
    from candor_sla_monitor.ledger import models as _ledger  # noqa: F401
    from candor_sla_monitor.maintenance import models as _maintenance  # noqa: F401
    from candor_sla_monitor.perception import models as _perception  # noqa: F401
    from candor_sla_monitor.reports import models as _reports  # noqa: F401
