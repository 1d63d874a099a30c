"""HTTP endpoints of post-incident reports: write, mark follow-up actions done, publish."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from candor_incident_api.dependencies import OperatorDep, SessionDep, ViewerDep
from candor_incident_api.errors import not_found
from candor_incident_api.incidents import lifecycle
from candor_incident_api.incidents import repository as incidents
from candor_incident_api.postmortems import service
from candor_incident_api.postmortems.schemas import ActionPatch, ReportIn, ReportOut
from candor_shared.clock import utcnow

router = APIRouter(prefix="/v1/incidents", tags=["post-incident reports"])

IncidentId = Annotated[
    uuid.UUID,
    Path(description="The incident's id.", examples=["01a207cd-858c-71ec-908f-d495eba38c5a"]),
]
ActionNumber = Annotated[
    int, Path(ge=1, le=50, description="The follow-up action's number, from 1.", examples=[1])
]

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such incident, report or follow-up action."},
    409: {"description": "Not possible in the report's or incident's state; `detail` says why."},
    422: {"description": "The body is malformed; `detail` names the field."},
}


@router.get("/{incident_id}/report", summary="Read the post-incident report", responses=_ERRORS)
async def get_report(incident_id: IncidentId, session: SessionDep, viewer: ViewerDep) -> ReportOut:
    """The report as it stands: a draft until `published_at` is set, and which follow-up
    actions are done."""
    incident = await incidents.get_incident(session, incident_id)
    if incident is None:
        raise not_found("incident", str(incident_id))
    return service.out(await service.get(session=session, incident=incident))


@router.put(
    "/{incident_id}/report",
    summary="Write the post-incident report",
    responses={**_ERRORS, 201: {"description": "The report was created."}},
)
async def put_report(
    incident_id: IncidentId,
    data: ReportIn,
    response: Response,
    session: SessionDep,
    operator: OperatorDep,
) -> ReportOut:
    """Write the report in users' words: the impact, the cause, what was done, and the
    follow-up actions that will keep it from happening again. Write it again as often as
    needed until it is published; then only its actions change (PATCH)."""
    incident = await lifecycle.lock(session, incident_id)
    report, created = await service.write(
        session=session, incident=incident, data=data, author=operator.name, now=utcnow()
    )
    if created:
        response.status_code = 201
    return service.out(report)


@router.patch(
    "/{incident_id}/report/actions/{number}",
    summary="Mark a follow-up action done",
    responses=_ERRORS,
)
async def patch_action(
    incident_id: IncidentId,
    number: ActionNumber,
    data: ActionPatch,
    session: SessionDep,
    operator: OperatorDep,
) -> ReportOut:
    """Mark follow-up action `number` done (now) or not done; the report and the incident's
    timeline show it, published or not."""
    incident = await lifecycle.lock(session, incident_id)
    report = await service.mark_action(
        session=session,
        incident=incident,
        number=number,
        done=data.done,
        author=operator.name,
        now=utcnow(),
    )
    return service.out(report)


@router.post(
    "/{incident_id}/report/publish",
    summary="Publish the post-incident report to the affected users",
    responses=_ERRORS,
)
async def publish_report(
    incident_id: IncidentId, session: SessionDep, operator: OperatorDep
) -> ReportOut:
    """Send the report to everyone the incident affected, once, with the timeline of what
    they were told, in their language and time zone. The incident must be resolved."""
    incident = await lifecycle.lock(session, incident_id)
    report = await service.publish(
        session=session, incident=incident, by=operator.name, now=utcnow()
    )
    return service.out(report)
