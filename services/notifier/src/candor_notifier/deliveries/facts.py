"""Delivery facts: the moment a notice first reached someone, published once per notice.

The fact is written to the notifier's outbox in the transaction that records the delivery,
so it is neither lost (a crash after the commit leaves the row for the relay) nor doubled
(two senders recording deliveries of one notice race on one conditional UPDATE, and a
delivery sent again after a crash finds the notice already marked). sla-monitor counts it as
a communication with users: time to first communication, and the update rhythm.

``first_delivered_at`` is the moment the first delivery of the notice to be recorded was
accepted. Senders working in parallel record within milliseconds of each other, and not
always in the order they sent: the fact can be that much later than the earliest send.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.deliveries import repository
from candor_notifier.incidents import repository as incidents
from candor_notifier.models import OutboxRecord
from candor_shared.contract import IncidentSnapshot, NoticeDelivered, new_event
from candor_shared.contract.sla import NoticeKind as DeliveredKind
from candor_shared.kafka import add_event

log = structlog.get_logger(__name__)

SOURCE = "/candor/notifier"

DELIVERED_KINDS: dict[str, DeliveredKind] = {
    "opened": "opened",
    "updated": "update",
    "holding": "holding",
    "resolved": "resolved",
    "reopened": "reopened",
}
"""The notifier's notice kinds as the contract names them."""


async def record_first_delivery(*, session: AsyncSession, notice_id: str, now: datetime) -> bool:
    """Publish :class:`NoticeDelivered` if this is the notice's first delivery recorded.

    Call it in the transaction that marks a delivery of the notice sent, after that mark.
    Returns True when the fact was written (once per notice, whoever calls).
    """
    if not await incidents.mark_first_delivered(session, event_id=notice_id, at=now):
        return False
    notice = (await incidents.get_notices(session, [notice_id]))[notice_id]
    if notice.kind not in DELIVERED_KINDS:
        # Planned maintenance is no communication about an incident: no agreement counts it.
        return False
    incident = IncidentSnapshot.model_validate(notice.incident)
    fact = NoticeDelivered(
        incident_id=notice.incident_id,
        service_slug=incident.service.slug,
        kind=DELIVERED_KINDS[notice.kind],
        notice_id=notice.event_id,
        first_delivered_at=now,
        recipients=await repository.recipients_reached(session, notice_id),
    )
    add_event(session, OutboxRecord, new_event(fact, source=SOURCE, key=notice.incident_id))
    log.info("notice.first_delivered", kind=notice.kind, notice_id=notice_id)
    return True
