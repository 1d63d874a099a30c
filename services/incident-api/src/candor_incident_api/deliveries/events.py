"""The delivery-topic events incident-api keeps: notices' delivery counts and quarantines."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.deliveries import service
from candor_shared.contract import CloudEvent, EventData
from candor_shared.contract.sla import EndpointQuarantined, NoticeSettled
from candor_shared.kafka import Handler

log = structlog.get_logger(__name__)


async def on_notice_settled(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
    """Show the notice's delivery counts on its incident's timeline (one entry, updated)."""
    data = event.data
    if not isinstance(data, NoticeSettled):
        raise TypeError(f"{event.type} carries {type(data).__name__}, not NoticeSettled")
    kept = await service.record_settled(session=session, fact=data)
    log.info(
        "deliveries.notice_settled",
        incident_id=data.incident_id,
        notice_id=data.notice_id,
        delivered=data.delivered,
        failed=data.failed,
        settled=data.settled,
        kept=kept,
    )


async def on_endpoint_quarantined(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
    """Tell the incident's timeline that an endpoint was quarantined."""
    data = event.data
    if not isinstance(data, EndpointQuarantined):
        raise TypeError(f"{event.type} carries {type(data).__name__}, not EndpointQuarantined")
    kept = await service.record_quarantine(session=session, fact=data)
    log.warning(
        "deliveries.endpoint_quarantined",
        incident_id=data.incident_id,
        channel=data.channel,
        endpoint_key=data.endpoint_key,
        kept=kept,
    )


def handlers() -> dict[str, Handler]:
    """Handlers by event type, for incident-api's consumer of the delivery topic."""
    return {
        NoticeSettled.event_type: on_notice_settled,
        EndpointQuarantined.event_type: on_endpoint_quarantined,
    }
