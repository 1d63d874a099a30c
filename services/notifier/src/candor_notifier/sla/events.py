"""The SLA events the notifier handles: ``sla.update_due`` becomes a holding update.

The other ``sla.*`` events (at risk, breached, burn rates, reports) have no handler here, so
the consumer skips them without parsing them (and never dead-letters them).
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.sla import service
from candor_shared.clock import Clock, utcnow
from candor_shared.contract import CloudEvent, EventData, SlaUpdateDue
from candor_shared.kafka import Handler

log = structlog.get_logger(__name__)


def handlers(*, message_domain: str, clock: Clock = utcnow) -> dict[str, Handler]:
    """Handlers of the SLA topic, by event type; ``clock`` says when the update is written."""

    async def on_update_due(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, SlaUpdateDue)
        deadline = data.deadline
        with structlog.contextvars.bound_contextvars(incident_id=deadline.incident_id):
            outcome = await service.hold(
                session=session,
                event_id=event.id,
                update_due=data,
                message_domain=message_domain,
                now=clock(),
            )
            log.info(
                "holding.decided",
                deadline_id=deadline.deadline_id,
                term=deadline.term,
                outcome=outcome or "decided_before",
            )

    return {SlaUpdateDue.event_type: on_update_due}
