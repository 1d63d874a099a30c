"""``/v1/quarantined-endpoints``: operators release a chat or webhook endpoint that the
notifier quarantined (the timeline entry of kind ``quarantine`` names it by its key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from candor_incident_api import outbox
from candor_incident_api.catalog.schemas import problem_responses
from candor_incident_api.deliveries import service
from candor_incident_api.deliveries.schemas import EndpointReleaseOut
from candor_incident_api.dependencies import OperatorDep, SessionDep
from candor_incident_api.errors import not_found
from candor_shared.clock import utcnow
from candor_shared.contract.sla import EndpointReleased

router = APIRouter(prefix="/v1/quarantined-endpoints", tags=["deliveries"])

EndpointKey = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-f]{64}$",
        description="The endpoint's key: 64 lowercase hex digits, as the quarantine entry of "
        "the incident's timeline gives it (`data.endpoint_key`).",
    ),
]


@router.post(
    "/{endpoint_key}/release",
    status_code=202,
    summary="Release a quarantined endpoint",
    description="Asks the notifier to forget the endpoint's failures: its next delivery is "
    "tried. Deliveries already failed as `quarantined` are not sent again. The release is "
    "written to the timeline of the incident whose delivery quarantined it.",
    responses=problem_responses(
        e401="No valid operator token.",
        e403="The token's role may not do this.",
        e404="No endpoint was quarantined with this key.",
        e422="The key is not 64 lowercase hex digits.",
    ),
)
async def release_endpoint(
    endpoint_key: EndpointKey, session: SessionDep, operator: OperatorDep
) -> EndpointReleaseOut:
    """Publish the release to the notifier (through the outbox) and note it on the timeline."""
    now = utcnow()
    if not await service.record_release(
        session=session, endpoint_key=endpoint_key, released_by=operator.name, now=now
    ):
        raise not_found("quarantined endpoint", endpoint_key)
    outbox.publish(
        session,
        EndpointReleased(endpoint_key=endpoint_key, released_by=operator.name),
        key=endpoint_key,
    )
    return EndpointReleaseOut(endpoint_key=endpoint_key, released_by=operator.name, released_at=now)
