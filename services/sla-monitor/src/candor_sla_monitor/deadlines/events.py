"""The events that move deadlines, each handled inside the consumer's transaction: incident
snapshots, operators' public updates and the notifier's delivered notices (communications),
and agreement changes.

An incident event reaches the ledger's handler and then this one (see :func:`chain`);
``on_scheduled`` hears of the earliest instant the incident's deadlines owe an event, so that
the scheduler can wake for it once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import (
    CloudEvent,
    EventData,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    IncidentUpdated,
    ServiceDeleted,
    ServiceUpserted,
)
from candor_shared.contract.sla import NoticeDelivered
from candor_shared.kafka import Handler
from candor_sla_monitor.deadlines import service
from candor_sla_monitor.deadlines.service import DeadlinePolicy

log = structlog.get_logger(__name__)

_IncidentEvent = IncidentOpened | IncidentResolved | IncidentReopened | IncidentUpdated


def _ignore(_instant: datetime) -> None:
    return None


def handlers(
    *, policy: DeadlinePolicy, on_scheduled: Callable[[datetime], None] = _ignore
) -> dict[str, Handler]:
    """The deadlines' handlers by event type (incident, delivery and catalog topics)."""

    def scheduled(instant: datetime | None) -> None:
        if instant is not None:
            on_scheduled(instant)

    async def on_incident_changed(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        """Follow the incident's snapshot (and a public update, a communication), then bring
        its deadlines in line."""
        data = event.data
        if not isinstance(data, _IncidentEvent):
            raise TypeError(f"{event.type} carries {type(data).__name__}, not an incident event")
        incident = data.incident
        changed = await service.record_snapshot(
            session=session,
            incident=incident,
            observed_at=event.time,
            previous_resolved_at=(
                data.previous_resolved_at if isinstance(data, IncidentReopened) else None
            ),
        )
        told = False
        if isinstance(data, IncidentUpdated) and data.kind == "update" and data.public_message:
            # On the public status page and in every follower's inbox from this moment.
            told = await service.record_communication(
                session=session,
                incident_id=incident.id,
                ref=f"update:{event.id}",
                kind="public_update",
                at=event.time,
            )
        scheduled(
            await service.evaluate(
                session=session, incident_id=incident.id, at=event.time, policy=policy
            )
        )
        log.info(
            "deadlines.incident_evaluated",
            incident_id=incident.id,
            version=incident.version,
            changed=changed,
            communication=told,
        )

    async def on_notice_delivered(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        """Users started to be told something: a communication for the deadlines."""
        data = event.data
        if not isinstance(data, NoticeDelivered):
            raise TypeError(f"{event.type} carries {type(data).__name__}, not NoticeDelivered")
        told = await service.record_communication(
            session=session,
            incident_id=data.incident_id,
            ref=f"notice:{data.notice_id}",
            kind=data.kind,
            at=data.first_delivered_at,
        )
        if told:
            scheduled(
                await service.evaluate(
                    session=session, incident_id=data.incident_id, at=event.time, policy=policy
                )
            )
        log.info(
            "deadlines.notice_delivered",
            incident_id=data.incident_id,
            notice_id=data.notice_id,
            kind=data.kind,
            new=told,
        )

    async def on_service_changed(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        """The service's agreement may have changed: re-evaluate its open incidents."""
        data = event.data
        if not isinstance(data, ServiceUpserted | ServiceDeleted):
            raise TypeError(f"{event.type} carries {type(data).__name__}, not a service event")
        scheduled(
            await service.evaluate_service(
                session=session, service_id=data.id, at=event.time, policy=policy
            )
        )

    return {
        IncidentOpened.event_type: on_incident_changed,
        IncidentResolved.event_type: on_incident_changed,
        IncidentReopened.event_type: on_incident_changed,
        IncidentUpdated.event_type: on_incident_changed,
        NoticeDelivered.event_type: on_notice_delivered,
        ServiceUpserted.event_type: on_service_changed,
        ServiceDeleted.event_type: on_service_changed,
    }


def chain(*maps: Mapping[str, Handler]) -> dict[str, Handler]:
    """One handler map from several: where two domains handle the same event type, their
    handlers run in the order given, in the same transaction."""
    by_type: dict[str, list[Handler]] = {}
    for handler_map in maps:
        for event_type, handler in handler_map.items():
            by_type.setdefault(event_type, []).append(handler)
    return {event_type: _in_turn(found) for event_type, found in by_type.items()}


def _in_turn(found: list[Handler]) -> Handler:
    if len(found) == 1:
        return found[0]

    async def each(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        for handler in found:
            await handler(session=session, event=event)

    return each
