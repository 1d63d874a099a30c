"""Operators' word on the delivery ledger: a quarantined endpoint released."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.deliveries import quarantine
from candor_shared.contract import CloudEvent, EventData
from candor_shared.contract.sla import EndpointReleased
from candor_shared.kafka import Handler

log = structlog.get_logger(__name__)


async def on_endpoint_released(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
    """Forget the endpoint's failures: its next delivery is tried."""
    data = event.data
    if not isinstance(data, EndpointReleased):
        raise TypeError(f"{event.type} carries {type(data).__name__}, not EndpointReleased")
    released = await quarantine.release(session, key=data.endpoint_key)
    log.info(
        "endpoint.released",
        endpoint_key=data.endpoint_key,
        released_by=data.released_by,
        was_quarantined=released,
    )


def handlers() -> dict[str, Handler]:
    """Handlers of the catalog topic's ledger events, by event type."""
    return {EndpointReleased.event_type: on_endpoint_released}
