"""The incident events the notifier handles: each newer change tells every follower once."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.bursts import service as bursts
from candor_notifier.deliveries import service as deliveries
from candor_notifier.incidents import service
from candor_notifier.mail.compose import NoticeKind
from candor_shared.clock import Clock, utcnow
from candor_shared.contract import (
    CloudEvent,
    EventData,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    IncidentSnapshot,
    IncidentUpdated,
)
from candor_shared.kafka import Handler

log = structlog.get_logger(__name__)


def handlers(
    *, message_domain: str, clock: Clock = utcnow, min_interval: timedelta | None = None
) -> dict[str, Handler]:
    """Handlers of the incident topic, by event type; ``clock`` stamps the notices;
    ``min_interval`` folds bursts of updates (:mod:`candor_notifier.bursts`)."""

    async def announce(
        session: AsyncSession,
        event: CloudEvent[EventData],
        kind: NoticeKind,
        incident: IncidentSnapshot,
        *,
        tell: bool = True,
    ) -> None:
        with structlog.contextvars.bound_contextvars(incident_id=incident.id):
            now = clock()
            notice = await service.record_change(
                session=session,
                event_id=event.id,
                kind=kind,
                incident=incident,
                now=now,
                occurred_at=event.time,
            )
            if notice is None:
                log.info("incident.stale_event_ignored", version=incident.version, kind=kind)
                return
            if not tell:
                return
            followers = await service.audience(session=session, incident=incident)
            await deliveries.plan(
                session=session,
                notice=notice,
                recipient_ids=followers,
                message_domain=message_domain,
                now=now,
            )
            await bursts.fold(session=session, notice=notice, interval=min_interval, now=now)
            log.info("incident.notice_planned", kind=kind, recipients=len(followers))

    async def on_opened(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, IncidentOpened)
        await announce(session, event, "opened", data.incident)

    async def on_resolved(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, IncidentResolved)
        await announce(session, event, "resolved", data.incident)

    async def on_reopened(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, IncidentReopened)
        await announce(session, event, "reopened", data.incident)

    async def on_updated(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
        data = event.data
        assert isinstance(data, IncidentUpdated)
        # Users hear what operators chose to tell them; an acknowledgement, a new impact or
        # an internal note without a public message only moves the known version on.
        await announce(
            session, event, "updated", data.incident, tell=bool(data.public_message.strip())
        )

    return {
        IncidentOpened.event_type: on_opened,
        IncidentResolved.event_type: on_resolved,
        IncidentReopened.event_type: on_reopened,
        IncidentUpdated.event_type: on_updated,
    }
