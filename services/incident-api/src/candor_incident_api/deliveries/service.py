"""Delivery facts onto incidents' timelines: one entry per notice, kept up to date; one
entry per endpoint quarantined."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.deliveries.models import NoticeDeliveries
from candor_incident_api.incidents import timeline
from candor_incident_api.incidents.models import Incident, TimelineEntry
from candor_shared.contract.sla import EndpointQuarantined, NoticeSettled

log = structlog.get_logger(__name__)

ACTOR = "notifier"
NOTICE_WORDS = {
    "opened": "first notice",
    "update": "update",
    "holding": "holding update",
    "resolved": "resolution notice",
    "reopened": "reopening notice",
    "report": "incident report",
}


def sentence(fact: NoticeSettled) -> str:
    """``update sent to 1,204 recipients: 1,180 delivered, 24 failed`` (and what is left)."""
    words = NOTICE_WORDS.get(fact.kind, "notice")
    recipients = "1 recipient" if fact.recipients == 1 else f"{fact.recipients:,} recipients"
    text = f"{words} sent to {recipients}: {fact.delivered:,} delivered, {fact.failed:,} failed"
    pending = fact.recipients - fact.delivered - fact.failed
    if pending > 0:
        text += f", {pending:,} still being tried"
    return text


def _incident_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def _incident_known(session: AsyncSession, incident_id: uuid.UUID | None) -> bool:
    if incident_id is None:
        return False
    return await session.scalar(select(Incident.id).where(Incident.id == incident_id)) is not None


async def record_settled(*, session: AsyncSession, fact: NoticeSettled) -> bool:
    """Keep the notice's counts unless newer ones are kept; write or update its timeline
    entry. Returns False when the fact was older than the one kept or names no incident."""
    incident_id = _incident_id(fact.incident_id)
    if not await _incident_known(session, incident_id):
        log.info("deliveries.unknown_incident", incident_id=fact.incident_id)
        return False
    assert incident_id is not None
    data: dict[str, Any] = {
        "notice_id": fact.notice_id,
        "notice_kind": fact.kind,
        "recipients": fact.recipients,
        "delivered": fact.delivered,
        "failed": fact.failed,
        "settled": fact.settled,
        "as_of": fact.as_of.isoformat(),
    }
    kept = await session.get(NoticeDeliveries, fact.notice_id, with_for_update=True)
    if kept is None:
        entry = timeline.entry(
            incident_id,
            at=fact.as_of,
            kind="delivery",
            actor=ACTOR,
            internal_note=sentence(fact),
            **data,
        )
        await timeline.write(session, [entry])
        session.add(
            NoticeDeliveries(
                notice_id=fact.notice_id,
                incident_id=incident_id,
                timeline_entry_id=entry["id"],
                kind=fact.kind,
                recipients=fact.recipients,
                delivered=fact.delivered,
                failed=fact.failed,
                settled=fact.settled,
                as_of=fact.as_of,
            )
        )
        return True
    newer = fact.as_of > kept.as_of or (fact.as_of == kept.as_of and fact.settled)
    if not newer:
        return False
    kept.recipients, kept.delivered, kept.failed = fact.recipients, fact.delivered, fact.failed
    kept.settled, kept.as_of = fact.settled, fact.as_of
    await session.execute(
        update(TimelineEntry)
        .where(TimelineEntry.id == kept.timeline_entry_id)
        .values(internal_note=sentence(fact), data=data)
    )
    return True


async def record_quarantine(*, session: AsyncSession, fact: EndpointQuarantined) -> bool:
    """Tell the incident's timeline that an endpoint was quarantined while sending about it."""
    incident_id = _incident_id(fact.incident_id)
    if not await _incident_known(session, incident_id):
        log.info("deliveries.unknown_incident", incident_id=fact.incident_id)
        return False
    assert incident_id is not None
    until = (
        f"until {fact.quarantined_until:%Y-%m-%d %H:%M} UTC"
        if fact.quarantined_until is not None
        else "until its subscribers give a new URL"
    )
    subscribers = len(fact.subscriber_ids)
    note = (
        f"{fact.channel} endpoint quarantined {until} after {fact.failures_in_a_row} failed "
        f"deliveries in a row (last: {fact.last_error[:200]}); "
        f"{fact.deliveries_failed} pending deliveries failed; used by {subscribers} "
        f"subscriber{'s' if subscribers != 1 else ''}"
    )
    await timeline.write(
        session,
        [
            timeline.entry(
                incident_id,
                at=fact.quarantined_at,
                kind="quarantine",
                actor=ACTOR,
                internal_note=note,
                endpoint_key=fact.endpoint_key,
                channel=fact.channel,
                subscriber_ids=fact.subscriber_ids,
                failures_in_a_row=fact.failures_in_a_row,
                quarantined_until=(
                    fact.quarantined_until.isoformat() if fact.quarantined_until else None
                ),
                deliveries_failed=fact.deliveries_failed,
            )
        ],
    )
    return True


async def record_release(
    *, session: AsyncSession, endpoint_key: str, released_by: str, now: datetime
) -> bool:
    """Note on the timeline of the incident whose delivery last quarantined the endpoint that
    an operator released it. Returns False when no quarantine of that endpoint is known."""
    entries = await session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.kind == "quarantine")
        .order_by(TimelineEntry.id.desc())
    )
    last = next((e for e in entries if e.data.get("endpoint_key") == endpoint_key), None)
    if last is None:
        return False
    await timeline.write(
        session,
        [
            timeline.entry(
                last.incident_id,
                at=now,
                kind="quarantine.released",
                actor=released_by,
                internal_note=f"{last.data.get('channel', 'endpoint')} endpoint released by "
                f"{released_by}: its next delivery is tried",
                endpoint_key=endpoint_key,
            )
        ],
    )
    return True
