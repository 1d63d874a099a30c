"""HTTP endpoints through which monitoring tools report trouble: ``POST /v1/ingest/<source>``.

The routes of most sources are generated from the registry (``ingest/sources``); PagerDuty
(its own answers, ``/v2/enqueue``) and CloudWatch (the SNS envelope) have their own modules.

The generated routes are the hot path, and they run lean (:func:`route_class`): FastAPI
documents them from the endpoint's signature, but a request is handled by one function that
admits the caller, validates the raw body against the source's model in pydantic-core
(``model_validate_json``) and writes the answer's JSON itself, instead of FastAPI's general
machinery (dependency solving, ``json.loads`` then validation, response-model
re-validation), which cost a quarter of incident-api's time per alert (``make bench``).
Refusals are the same problems as elsewhere: the exceptions go to the app's handlers.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from candor_incident_api.ingest import cloudwatch_api, pagerduty_api
from candor_incident_api.ingest.admission import ERRORS, SIGNING, accepted, admit, bearer_key
from candor_incident_api.ingest.auth import IngestCaller
from candor_incident_api.ingest.schemas import IngestAccepted
from candor_incident_api.ingest.sources import SOURCES, Source
from candor_incident_api.ingest.writer import IngestWriter

router = APIRouter(tags=["ingest"])

_JSON = ("application/json", "+json")

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


def parse_body(model: type[BaseModel], body: bytes, content_type: str | None) -> BaseModel:
    """``body`` as ``model``, or RequestValidationError with FastAPI's error locations
    (``body``, then the field's path): a JSON body is parsed and validated in one pass."""
    media = (content_type or "").partition(";")[0].strip().lower()
    if not media.endswith(_JSON):
        raise RequestValidationError(
            [
                {
                    "type": "content_type",
                    "loc": ("body",),
                    "msg": "Send the payload as JSON with 'Content-Type: application/json'",
                }
            ]
        )
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()],
            body=body,
        ) from None


def route_class(source: Source) -> type[APIRoute]:
    """The route class of ``source``'s route: documented by FastAPI from the endpoint's
    signature, handled by :func:`lean_handler`."""

    class IngestRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            return lean_handler(source)

    return IngestRoute


def lean_handler(source: Source) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    """The route's request handler: the caller first (401/429 before the body is parsed),
    then the body, then the endpoint; 202 with the endpoint's answer as JSON."""
    caller = caller_dependency(source)
    endpoint = _route(source)

    async def handle(request: Request) -> Response:
        admitted = await caller(request)
        payload = parse_body(
            source.payload, await request.body(), request.headers.get("content-type")
        )
        answer = await endpoint(payload, admitted, request)
        return Response(answer.model_dump_json(), status_code=202, media_type="application/json")

    return handle


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
        route_class_override=route_class(_source),
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
