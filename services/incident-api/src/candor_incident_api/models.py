"""incident-api's declarative base and the runtime tables (outbox, inbox)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from candor_shared.db import new_metadata
from candor_shared.kafka import InboxMixin, OutboxMixin


class Base(DeclarativeBase):
    """Base of every incident-api table."""

    metadata = new_metadata()


class OutboxRecord(OutboxMixin, Base):
    """Events waiting to be published to Kafka."""


class InboxRecord(InboxMixin, Base):
    """Events from the workers already handled (SLA standing, delivery facts)."""


def load_all_models() -> None:
    """Import every domain's models so that ``Base.metadata`` knows all tables."""
    from candor_incident_api.catalog import models as _catalog  # noqa: F401
    from candor_incident_api.deliveries import models as _deliveries  # noqa: F401
    from candor_incident_api.feedback import models as _feedback  # noqa: F401
    from candor_incident_api.idempotency import models as _idempotency  # noqa: F401
    from candor_incident_api.incidents import models as _incidents  # noqa: F401
    from candor_incident_api.integrations import models as _integrations  # noqa: F401
    from candor_incident_api.maintenance import models as _maintenance  # noqa: F401
    from candor_incident_api.operators import models as _operators  # noqa: F401
    from candor_incident_api.perception import models as _perception  # noqa: F401
    from candor_incident_api.postmortems import models as _postmortems  # noqa: F401
    from candor_incident_api.reports import models as _reports  # noqa: F401
    from candor_incident_api.selfservice import models as _selfservice  # noqa: F401
    from candor_incident_api.subscribers import models as _subscribers  # noqa: F401
