"""HTTP endpoints for incidents."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from candor_incident_api.dependencies import CurrentOperator, SessionDep
from candor_incident_api.errors import not_found
from candor_incident_api.incidents import repository
from candor_incident_api.incidents.models import Incident
from candor_incident_api.incidents.schemas import AlertOut, IncidentDetail, IncidentOut
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])

StatusFilter = Literal["open", "investigating", "identified", "monitoring", "resolved"]


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
    )


@router.get("", summary="List incidents, newest first")
async def list_incidents(
    session: SessionDep,
    _: CurrentOperator,
    service: Annotated[str | None, Query(description="Service slug")] = None,
    status: Annotated[
        StatusFilter | None, Query(description="A status, or `open` for any but resolved")
    ] = None,
    opened_after: Annotated[
        AwareDatetime | None, Query(description="ISO 8601 with offset, inclusive")
    ] = None,
    opened_before: Annotated[
        AwareDatetime | None, Query(description="ISO 8601 with offset, exclusive")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[IncidentOut]:
    """Filter by service, status and opening time; follow `next_cursor` for more."""
    rows = await repository.list_incidents(
        session,
        service=service,
        status=status,
        opened_after=opened_after,
        opened_before=opened_before,
        before_id=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    return Page[IncidentOut](
        items=[_out(row) for row in rows[:limit]],
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.get("/{incident_id}", summary="Get an incident with its alerts")
async def get_incident(
    incident_id: uuid.UUID, session: SessionDep, _: CurrentOperator
) -> IncidentDetail:
    """One incident, with up to 500 of its alerts."""
    incident = await repository.get_incident(session, incident_id)
    if incident is None:
        raise not_found("incident", str(incident_id))
    alerts = await repository.alerts_of(session, incident.id, limit=500)
    return IncidentDetail(
        **_out(incident).model_dump(), alerts=[AlertOut.model_validate(a) for a in alerts]
    )
