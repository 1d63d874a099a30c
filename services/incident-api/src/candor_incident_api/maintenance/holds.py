"""Incidents held back by maintenance follow the windows that hold them back.

An incident opened while an announced window covers its service is not broadcast; users
hear of it when the window ends plus the service's notification delay (``notify_at``). When
a window ends early, is called off or is moved, that time is worked out again here, in the
transaction of the window's change, so that users neither wait for a planned end that no
longer stands nor hear of an outage in the middle of the maintenance.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents import timeline
from candor_incident_api.incidents.models import Incident
from candor_incident_api.maintenance import repository
from candor_incident_api.maintenance.models import MaintenanceWindow


async def follow_window(
    *,
    session: AsyncSession,
    window: MaintenanceWindow,
    service_ids: Iterable[uuid.UUID],
    now: datetime,
    actor: str,
) -> int:
    """After ``window`` ended, was cancelled or moved, give the held-back incidents of
    ``service_ids`` their new ``notify_at``; return how many changed (each gets a timeline
    entry of kind ``maintenance``).

    Held back: open, not broadcast, ``notify_at`` set. While a window is still in effect for
    the service, the new time is the end of the last such window plus the service's delay.
    Without one, it is now plus the delay — but only ever earlier than before: an incident
    held for the delay alone (opened outside maintenance) keeps its time.
    """
    ids = list(dict.fromkeys(service_ids))
    if not ids:
        return 0
    delays: dict[uuid.UUID, int] = {
        service_id: seconds
        for service_id, seconds in await session.execute(
            select(Service.id, Service.notification_delay_seconds).where(Service.id.in_(ids))
        )
    }
    window_ends = await repository.latest_end_in_effect(session, ids, now)
    entries: list[dict[str, Any]] = []
    for service_id in ids:
        delay = timedelta(seconds=delays.get(service_id, 0))
        window_end = window_ends.get(service_id)
        notify_at = max(now, window_end or now) + delay
        held = (
            update(Incident)
            .where(
                Incident.service_id == service_id,
                Incident.status != "resolved",
                Incident.broadcast.is_(False),
                Incident.notify_at.is_not(None),
            )
            .values(notify_at=notify_at)
            .returning(Incident.id)
            .execution_options(synchronize_session=False)
        )
        if window_end is not None:
            held = held.where(Incident.notify_at != notify_at)
        else:
            held = held.where(Incident.notify_at > notify_at)
        changed = (await session.scalars(held)).all()
        entries.extend(
            timeline.entry(
                incident_id,
                at=now,
                kind="maintenance",
                actor=actor,
                window_id=str(window.id),
                notify_at=notify_at.isoformat(),
            )
            for incident_id in changed
        )
    await timeline.write(session, entries)
    return len(entries)
