"""HTTP endpoints for incidents: read them, open them by hand, and run them to resolution."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.concurrency import check_if_match, set_etag
from candor_incident_api.dependencies import OperatorDep, SessionDep, ViewerDep
from candor_incident_api.errors import not_found
from candor_incident_api.incidents import impacts, lifecycle, repository, timeline
from candor_incident_api.incidents.models import Incident
from candor_incident_api.incidents.schemas import (
    AlertOut,
    ImpactLevel,
    ImpactOut,
    IncidentDetail,
    IncidentIn,
    IncidentOut,
    ReopenIn,
    ResolveIn,
    TimelineOut,
    UpdateIn,
)
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor
from candor_incident_api.times import UtcTime
from candor_shared.clock import utcnow

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])

IncidentId = Annotated[
    uuid.UUID,
    Path(description="The incident's id.", examples=["01a207cd-858c-71ec-908f-d495eba38c5a"]),
]

StatusFilter = Literal["open", "investigating", "identified", "monitoring", "resolved"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such incident."},
    409: {"description": "Not possible in the incident's current state; `detail` says why."},
    412: {"description": "`If-Match` names an older version: read the incident again."},
    422: {"description": "The body is malformed; `detail` names the field."},
}


def _out(incident: Incident) -> IncidentOut:
    return IncidentOut(
        id=incident.id,
        service=incident.service.slug,
        service_name=incident.service.name,
        status=incident.status,
        impact=incident.impact,
        title=incident.title,
        summary=incident.summary,
        started_at=incident.started_at,
        opened_at=incident.opened_at,
        resolved_at=incident.resolved_at,
        firing_alerts=incident.firing_alerts,
        version=incident.version,
        opened_by=incident.opened_by,
        acknowledged_at=incident.acknowledged_at,
        acknowledged_by=incident.acknowledged_by,
        public_message=incident.public_message,
        next_update_at=incident.next_update_at,
        reopened=incident.reopened,
        broadcast=incident.broadcast,
        notify_at=incident.notify_at,
    )


async def _detail(session: AsyncSession, incident: Incident, response: Response) -> IncidentDetail:
    alerts = await repository.alerts_of(session, incident.id, limit=500)
    affected = (await impacts.load(session, [incident.id])).get(incident.id, [])
    set_etag(response, incident.id, incident.version)
    return IncidentDetail(
        **_out(incident).model_dump(),
        impacts=[
            ImpactOut(
                service=item.service.slug,
                service_name=item.service.name,
                impact=item.impact,
                components=list(item.components),
                via=item.via.slug if item.via else None,
                wording=impacts.wording_for(item.service.impact_wording, item.impact),
            )
            for item in affected
        ],
        alerts=[AlertOut.model_validate(a) for a in alerts],
    )


@router.get("", summary="List incidents, newest first")
async def list_incidents(
    session: SessionDep,
    _: ViewerDep,
    service: Annotated[str | None, Query(description="Service slug")] = None,
    status: Annotated[
        StatusFilter | None, Query(description="A status, or `open` for any but resolved")
    ] = None,
    impact: Annotated[ImpactLevel | None, Query(description="Impact on its own service")] = None,
    opened_after: Annotated[
        UtcTime | None, Query(description="ISO 8601 with offset, inclusive")
    ] = None,
    opened_before: Annotated[
        UtcTime | None, Query(description="ISO 8601 with offset, exclusive")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[IncidentOut]:
    """Filter by service, status, impact and opening time; follow `next_cursor` for more."""
    rows = await repository.list_incidents(
        session,
        service=service,
        status=status,
        impact=impact,
        opened_after=opened_after,
        opened_before=opened_before,
        before_id=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    return Page[IncidentOut](
        items=[_out(row) for row in rows[:limit]],
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.post("", status_code=201, summary="Open an incident by hand", responses=_ERRORS)
async def open_incident(
    data: IncidentIn, session: SessionDep, operator: OperatorDep, response: Response
) -> IncidentDetail:
    """For trouble monitoring did not (yet) see. Users are told at once; the incident counts
    as acknowledged by you. 409 when the service already has an open incident."""
    incident = await lifecycle.open_incident(session, data, operator, utcnow())
    response.headers["Location"] = f"/v1/incidents/{incident.id}"
    return await _detail(session, incident, response)


@router.get("/{incident_id}", summary="Get an incident", responses=_ERRORS)
async def get_incident(
    incident_id: IncidentId, session: SessionDep, _: ViewerDep, response: Response
) -> IncidentDetail:
    """One incident with the services it affects and up to 500 of its alerts. The `ETag`
    answers `If-Match` on the actions below."""
    incident = await repository.get_incident(session, incident_id)
    if incident is None:
        raise not_found("incident", str(incident_id))
    return await _detail(session, incident, response)


@router.get("/{incident_id}/timeline", summary="An incident's timeline", responses=_ERRORS)
async def get_timeline(
    incident_id: IncidentId,
    session: SessionDep,
    _: ViewerDep,
    kind: Annotated[
        list[str] | None, Query(description="Only these kinds, e.g. `update`, `alert.fired`")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[TimelineOut]:
    """Everything that happened, oldest first: alerts, status changes, updates (public and
    internal), acknowledgements, and facts the workers report back."""
    if await repository.get_incident(session, incident_id) is None:
        raise not_found("incident", str(incident_id))
    rows = await timeline.entries_of(
        session,
        incident_id,
        kinds=kind,
        after_id=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    return Page[TimelineOut](
        items=[TimelineOut.model_validate(row) for row in rows[:limit]],
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.post("/{incident_id}/acknowledge", summary="Acknowledge an incident", responses=_ERRORS)
async def acknowledge(
    incident_id: IncidentId,
    request: Request,
    response: Response,
    session: SessionDep,
    operator: OperatorDep,
) -> IncidentDetail:
    """Says someone is on it (the first acknowledgement counts; again changes nothing)."""
    incident = await lifecycle.lock(session, incident_id)
    check_if_match(request, incident.id, incident.version)
    await lifecycle.acknowledge(session, incident, operator, utcnow())
    return await _detail(session, incident, response)


@router.post("/{incident_id}/updates", summary="Post an update", responses=_ERRORS)
async def post_update(
    incident_id: IncidentId,
    data: UpdateIn,
    request: Request,
    response: Response,
    session: SessionDep,
    operator: OperatorDep,
) -> IncidentDetail:
    """Change status (investigating → identified → monitoring) or impact, tell users what is
    going on in their words (`public_message`), note something for colleagues
    (`internal_note`), and promise the next update (`next_update_at`). A public message
    during the notification delay tells users at once."""
    incident = await lifecycle.lock(session, incident_id)
    check_if_match(request, incident.id, incident.version)
    await lifecycle.post_update(session, incident, data, operator, utcnow())
    return await _detail(session, incident, response)


@router.post("/{incident_id}/resolve", summary="Resolve an incident", responses=_ERRORS)
async def resolve(
    incident_id: IncidentId,
    data: ResolveIn,
    request: Request,
    response: Response,
    session: SessionDep,
    operator: OperatorDep,
) -> IncidentDetail:
    """Ends the incident with a summary, even if an alert still fires."""
    incident = await lifecycle.lock(session, incident_id)
    check_if_match(request, incident.id, incident.version)
    await lifecycle.resolve(session, incident, data, operator, utcnow())
    return await _detail(session, incident, response)


@router.post("/{incident_id}/reopen", summary="Reopen a resolved incident", responses=_ERRORS)
async def reopen(
    incident_id: IncidentId,
    data: ReopenIn,
    request: Request,
    response: Response,
    session: SessionDep,
    operator: OperatorDep,
) -> IncidentDetail:
    """The trouble is back: the same incident continues (409 if its service has another
    open incident)."""
    incident = await lifecycle.lock(session, incident_id)
    check_if_match(request, incident.id, incident.version)
    await lifecycle.reopen(session, incident, data, operator, utcnow())
    return await _detail(session, incident, response)
