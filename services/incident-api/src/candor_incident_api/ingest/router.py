"""HTTP endpoints through which monitoring tools report trouble: ``POST /v1/ingest/<source>``.

The routes of most sources are generated from the registry (``ingest/sources``); PagerDuty
(its own answers, ``/v2/enqueue``) and CloudWatch (the SNS envelope) have their own modules.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from candor_incident_api.ingest import cloudwatch_api, pagerduty_api
from candor_incident_api.ingest.admission import ERRORS, SIGNING, accepted, admit, bearer_key
from candor_incident_api.ingest.auth import IngestCaller
from candor_incident_api.ingest.schemas import IngestAccepted
from candor_incident_api.ingest.sources import SOURCES, Source
from candor_incident_api.ingest.writer import IngestWriter

router = APIRouter(tags=["ingest"])

QUERY_KEY: dict[str, Any] = {
    "name": "key",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "The integration key, for tools that cannot send an Authorization header.",
}


def caller_dependency(source: Source) -> Callable[[Request], Awaitable[IngestCaller]]:
    """The one dependency of ``source``'s route: the key from where the source sends it."""
    query = source.auth == "bearer_or_query"
    how = (
        "as 'Authorization: Bearer <key>' or as the 'key' query parameter"
        if query
        else "as 'Authorization: Bearer <key>'"
    )

    async def caller(request: Request) -> IngestCaller:
        key = bearer_key(request)
        if key is None and query:
            key = request.query_params.get("key")
        return await admit(request, source=source.name, key=key, how=how)

    return caller


def openapi_auth(source: Source) -> dict[str, Any]:
    """How OpenAPI clients send the key (it is read by hand, not by a security dependency)."""
    extra: dict[str, Any] = {"security": [{"HTTPBearer": []}]}
    if source.auth == "bearer_or_query":
        extra["parameters"] = [QUERY_KEY]
    return extra


def _route(source: Source) -> Callable[..., Awaitable[IngestAccepted]]:
    async def endpoint(
        payload: BaseModel, caller: IngestCaller, request: Request
    ) -> IngestAccepted:
        alerts = source.to_alerts(payload)
        if not alerts:
            return accepted(0, [])
        writer: IngestWriter = request.app.state.ingest_writer
        return accepted(len(alerts), await writer.submit(caller=caller, alerts=alerts))

    # FastAPI reads parameters from the signature: give it the source's payload model.
    parameter = inspect.Parameter.POSITIONAL_OR_KEYWORD
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("payload", parameter, annotation=source.payload),
            inspect.Parameter(
                "caller",
                parameter,
                annotation=Annotated[IngestCaller, Depends(caller_dependency(source))],
            ),
            inspect.Parameter("request", parameter, annotation=Request),
        ],
        return_annotation=IngestAccepted,
    )
    return endpoint


def description(source: Source) -> str:
    """The route's OpenAPI description: set-up, answers, signing and rate limit."""
    return (
        f"{source.setup}\n\nAnswers 202 once the alerts are committed (the incidents they "
        f"belong to are listed). What the tool sends: {source.reference}\n\n{SIGNING}"
    )


for _source in SOURCES.values():
    if _source.own_route:
        continue
    router.add_api_route(
        f"/v1/ingest/{_source.name}",
        _route(_source),
        methods=["POST"],
        status_code=202,
        summary=_source.title,
        description=description(_source),
        name=f"ingest_{_source.name.replace('-', '_')}",
        responses=ERRORS,
        openapi_extra=openapi_auth(_source),
    )

router.include_router(pagerduty_api.router)
router.include_router(cloudwatch_api.router)
