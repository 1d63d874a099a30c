"""Rules about incident changes: only a newer version of an incident becomes a notice."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.incidents import repository
from candor_notifier.incidents.models import Incident, Notice
from candor_notifier.mail.compose import NoticeKind
from candor_shared.contract import IncidentSnapshot


async def record_change(
    *,
    session: AsyncSession,
    event_id: str,
    kind: NoticeKind,
    incident: IncidentSnapshot,
    now: datetime,
) -> Notice | None:
    """Keep the incident's newest version; return the notice for this change.

    Returns None when the event is not newer than what was seen already (a stale or
    duplicate event), so that it tells nobody anything.
    """
    known = await repository.get(session, incident.id)
    if known is not None and known.version >= incident.version:
        return None
    if known is None:
        known = Incident(id=incident.id, opened_event_id=None)
        repository.add(session, known)
    known.service_slug = incident.service.slug
    known.version = incident.version
    known.status = "resolved" if kind == "resolved" else incident.status
    known.updated_at = now
    if kind == "opened":
        known.opened_event_id = event_id
    notice = Notice(
        event_id=event_id,
        incident_id=incident.id,
        incident_version=incident.version,
        kind=kind,
        incident=incident.model_dump(mode="json"),
        created_at=now,
    )
    repository.add(session, notice)
    return notice


async def open_incident_notices(
    *, session: AsyncSession, service_slugs: Collection[str]
) -> list[Notice]:
    """The opening notice of every incident still open on one of these services."""
    return await repository.opening_notices_of_open_incidents(session, service_slugs)
