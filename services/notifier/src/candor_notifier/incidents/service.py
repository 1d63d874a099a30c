"""Rules about incident changes: only a newer version of an incident becomes a notice."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.catalog import service as catalog
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
    occurred_at: datetime | None = None,
) -> Notice | None:
    """Keep the incident's newest version; return the notice for this change (made at
    ``occurred_at``, the event's time).

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
        occurred_at=occurred_at,
    )
    repository.add(session, notice)
    return notice


async def open_incident_notices(
    *, session: AsyncSession, service_slugs: Collection[str]
) -> list[Notice]:
    """The opening notice of every incident still open on one of these services."""
    return await repository.opening_notices_of_open_incidents(session, service_slugs)


async def audience(*, session: AsyncSession, incident: IncidentSnapshot) -> list[str]:
    """Everyone an incident reaches, once however many ways: followers of a service it
    affects (directly or through a dependency), of a component it names, and members of a
    group that follows either. Who its notices (and its holding updates) go to.

    A service affected with no component named is affected entirely, so the followers of
    each of its components hear too; a named component reaches only its own followers.
    """
    named: dict[str, set[str]] = {}
    named.setdefault(incident.service.slug, set()).update(
        [incident.component] if incident.component else []
    )
    for impact in incident.impacts:
        named.setdefault(impact.service.slug, set()).update(impact.components)
    whole = {slug for slug, components in named.items() if not components}
    parts = {(slug, c) for slug, components in named.items() for c in components}
    return await catalog.reached_by(session=session, whole=whole, parts=parts)
