"""What the budget evaluation publishes: burn-rate alerts and the error budget at risk.

Both are service-wide, keyed by the service id, and written to sla-monitor's outbox in the
transaction that records the alert's new state.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import EventData, ServiceRef, new_event
from candor_shared.kafka import add_event
from candor_sla_monitor.models import OutboxRecord

SOURCE = "/candor/sla-monitor"


def publish(session: AsyncSession, data: EventData, *, service: ServiceRef) -> None:
    """Stage ``data`` as a CloudEvent keyed by the service id; it is sent after the commit."""
    add_event(
        session,
        OutboxRecord,
        new_event(data, source=SOURCE, key=service.id, subject=service.slug),
    )
